//! The helpers `data "template_handlebars"` adds to handlebars' built-ins (`if`, `each`,
//! `eq`, `ne`, `and`, `or`, `not`, ...). `hadoop_xml` and `spark_conf` call the engine's
//! `hadoop_config_xml` and `spark_conf` functions, so a template and a function call write
//! the same bytes for the same map.

use std::path::Path;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, JsonValue, RenderContext, RenderError, RenderErrorReason, ScopedJson,
};
use meshform_engine::eval::Value;
use meshform_engine::eval::functions::{self, FunctionContext, xml_escape};
use meshform_engine::eval::value::to_string;

/// Adds every helper of this module to `hb`.
pub fn register(hb: &mut Handlebars<'_>) {
    for h in HELPERS {
        hb.register_helper(h.name, Box::new(h));
    }
}

const HELPERS: [ValueHelper; 5] = [
    ValueHelper { name: "hadoop_xml", params: &["properties"], compute: hadoop_xml },
    ValueHelper { name: "hadoop_property", params: &["name", "value"], compute: hadoop_property },
    ValueHelper { name: "spark_conf", params: &["properties"], compute: spark_conf },
    ValueHelper { name: "xml_escape", params: &["text"], compute: xml_escape_helper },
    ValueHelper { name: "join", params: &["list", "separator"], compute: join },
];

/// A helper that computes a string from its positional arguments, so it works both as
/// `{{name ...}}` and inside a subexpression (`{{#if (eq (join xs ",") "a,b")}}`).
#[derive(Clone, Copy)]
struct ValueHelper {
    name: &'static str,
    /// What each argument is, for messages; also how many there must be.
    params: &'static [&'static str],
    compute: fn(&[Value]) -> Result<String, String>,
}

impl ValueHelper {
    fn error(&self, message: impl std::fmt::Display) -> RenderError {
        RenderErrorReason::Other(format!("{}: {message}", self.name)).into()
    }
}

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        if let Some(name) = h.hash().keys().next() {
            return Err(self.error(format!("takes no named arguments, got {name}=")));
        }
        if h.params().len() != self.params.len() {
            return Err(self.error(format!(
                "takes {} argument(s) ({}), got {}",
                self.params.len(),
                self.params.join(", "),
                h.params().len()
            )));
        }
        let mut args = Vec::with_capacity(h.params().len());
        for p in h.params() {
            // Handlebars checks strict mode for plain variables only; helpers check their own.
            if r.strict_mode() && p.is_value_missing() {
                return Err(RenderError::strict_error(p.relative_path()));
            }
            args.push(Value::from_json(p.value()));
        }
        (self.compute)(&args).map(|s| ScopedJson::Derived(JsonValue::String(s))).map_err(|m| self.error(m))
    }
}

/// The argument at `i` as text: a string, number (as Terraform prints it) or bool.
fn scalar(args: &[Value], i: usize, what: &str) -> Result<String, String> {
    match args.get(i) {
        None | Some(Value::Null) => Err(format!("{what} is null")),
        Some(v) => {
            to_string(v).ok_or_else(|| format!("{what} must be a string, number or bool, not {}", v.type_name()))
        }
    }
}

/// Calls a string-valued engine function: one implementation of each format.
fn engine_function(name: &str, args: &[Value]) -> Result<String, String> {
    let f = functions::lookup(name).ok_or_else(|| format!("the engine has no function {name}"))?;
    let ctx = FunctionContext { module_dir: Path::new(".") };
    match functions::call(f, &ctx, args.to_vec()) {
        Ok(Value::String(s)) => Ok(s),
        Ok(other) => Err(format!("{name} gave {} instead of a string", other.type_name())),
        Err(e) => Err(e.message),
    }
}

/// `{{hadoop_xml props}}`: a whole Hadoop `*-site.xml`, as `hadoop_config_xml(props)`.
fn hadoop_xml(args: &[Value]) -> Result<String, String> {
    engine_function("hadoop_config_xml", args)
}

/// `{{spark_conf props}}`: `key value` lines, as `spark_conf(props)`.
fn spark_conf(args: &[Value]) -> Result<String, String> {
    engine_function("spark_conf", args)
}

/// `{{hadoop_property "name" value}}`: one `<property>` element laid out as `hadoop_xml`
/// lays it out, first line unindented and no newline after it, so that
/// `  {{hadoop_property "k" v}}` on its own line inside `<configuration>` writes the same
/// lines as `hadoop_xml`.
fn hadoop_property(args: &[Value]) -> Result<String, String> {
    let name = scalar(args, 0, "the name")?;
    let value = scalar(args, 1, "the value")?;
    Ok(format!(
        "<property>\n    <name>{}</name>\n    <value>{}</value>\n  </property>",
        xml_escape(&name),
        xml_escape(&value)
    ))
}

/// `{{xml_escape text}}`.
fn xml_escape_helper(args: &[Value]) -> Result<String, String> {
    Ok(xml_escape(&scalar(args, 0, "the text")?))
}

/// `{{join list ", "}}`: the elements (strings, numbers, bools) with the separator between.
fn join(args: &[Value]) -> Result<String, String> {
    let separator = scalar(args, 1, "the separator")?;
    let items = match args.first() {
        Some(Value::List(xs) | Value::Tuple(xs) | Value::Set(xs)) => xs,
        Some(Value::Null) | None => return Err("the list is null".to_string()),
        Some(v) => return Err(format!("the first argument must be a list, not {}", v.type_name())),
    };
    let texts = (0..items.len()).map(|i| scalar(items, i, &format!("element {i}"))).collect::<Result<Vec<_>, _>>()?;
    Ok(texts.join(&separator))
}

#[cfg(test)]
mod tests {
    use meshform_engine::eval::Number;

    use super::*;
    use crate::render::{MissingVariables, render};

    fn hbs(template: &str, vars: Value) -> Result<String, String> {
        render(template, &vars, MissingVariables::Fail).map_err(|e| e.message)
    }

    fn awkward() -> Value {
        Value::object([
            ("fs.defaultFS", Value::from("hdfs://nn01:9000")),
            ("dfs.replication", Value::from(3)),
            ("x.ratio", Value::Number(Number::parse("0.125").unwrap())),
            ("x.flag", Value::Bool(true)),
            ("x&<y>", Value::from("a&b<c> \"quoted\" 'single'")),
        ])
    }

    #[test]
    fn hadoop_xml_is_hadoop_config_xml() {
        let props = awkward();
        let rendered = hbs("{{hadoop_xml props}}", Value::object([("props", props.clone())])).unwrap();
        assert_eq!(rendered, engine_function("hadoop_config_xml", &[props]).unwrap());
        assert!(rendered.contains(
            "  <property>\n    <name>x&amp;&lt;y&gt;</name>\n    <value>a&amp;b&lt;c&gt; &quot;quoted&quot; &apos;single&apos;</value>\n  </property>\n"
        ));
        assert!(rendered.contains("<value>0.125</value>") && rendered.contains("<value>true</value>"));
    }

    #[test]
    fn hadoop_xml_of_one_property_is_exact() {
        let props = Value::object([("dfs.replication", Value::from(2))]);
        assert_eq!(
            hbs("{{hadoop_xml p}}", Value::object([("p", props)])).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n<configuration>\n  <property>\n    <name>dfs.replication</name>\n    <value>2</value>\n  </property>\n</configuration>\n"
        );
    }

    #[test]
    fn hadoop_xml_refuses_nested_values() {
        let props = Value::object([("a", Value::List(vec![Value::from("x")]))]);
        let err = hbs("{{hadoop_xml p}}", Value::object([("p", props)])).unwrap_err();
        assert!(err.contains("hadoop_xml") && err.contains("\"a\""), "{err}");
    }

    #[test]
    fn hadoop_property_lines_are_those_of_hadoop_xml() {
        let name = "x&<y>";
        let value = "a&b<c> \"quoted\" 'single'";
        let template = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n<configuration>\n  {{hadoop_property \"n\" 4}}\n  {{hadoop_property name value}}\n</configuration>\n";
        let vars = Value::object([("name", Value::from(name)), ("value", Value::from(value))]);
        let props = Value::object([(name, Value::from(value)), ("n", Value::from(4))]);
        assert_eq!(hbs(template, vars).unwrap(), engine_function("hadoop_config_xml", &[props]).unwrap());
    }

    #[test]
    fn spark_conf_is_the_engine_function() {
        let props =
            Value::object([("spark.master", Value::from("spark://m:7077")), ("spark.executor.cores", Value::from(2))]);
        let rendered = hbs("{{spark_conf p}}", Value::object([("p", props.clone())])).unwrap();
        assert_eq!(rendered, "spark.executor.cores 2\nspark.master spark://m:7077\n");
        assert_eq!(rendered, engine_function("spark_conf", &[props]).unwrap());
        let bad = Value::object([("a b", Value::from("x"))]);
        let err = hbs("{{spark_conf p}}", Value::object([("p", bad)])).unwrap_err();
        assert!(err.contains("spark_conf") && err.contains("\"a b\""), "{err}");
    }

    #[test]
    fn xml_escape_escapes_the_five_entities() {
        assert_eq!(xml_escape("a&b<c>\"d\"'e'"), "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;");
        assert_eq!(hbs("{{xml_escape s}}", Value::object([("s", Value::from("<&>"))])).unwrap(), "&lt;&amp;&gt;");
        assert_eq!(hbs("{{xml_escape 12}}", Value::Null).unwrap(), "12");
    }

    #[test]
    fn plain_variables_are_not_html_escaped() {
        assert_eq!(hbs("{{s}}", Value::object([("s", Value::from("a<b>&'\"c\""))])).unwrap(), "a<b>&'\"c\"");
    }

    #[test]
    fn join_puts_the_separator_between_elements() {
        let vars = Value::object([("xs", Value::List(vec![Value::from("a"), Value::from(2), Value::Bool(false)]))]);
        assert_eq!(hbs("{{join xs \", \"}}", vars.clone()).unwrap(), "a, 2, false");
        assert_eq!(hbs("{{#if (eq (join xs \"-\") \"a-2-false\")}}yes{{/if}}", vars).unwrap(), "yes");
        let nested = Value::object([("xs", Value::List(vec![Value::List(vec![])]))]);
        let err = hbs("{{join xs \",\"}}", nested).unwrap_err();
        assert!(err.contains("join: element 0"), "{err}");
    }

    #[test]
    fn builtin_comparisons_stay_enabled() {
        let vars = Value::object([("mode", Value::from("ha")), ("n", Value::from(3))]);
        let t = "{{#if (and (eq mode \"ha\") (ne n 1) (not (eq n 2)) (or false true))}}ok{{/if}}";
        assert_eq!(hbs(t, vars).unwrap(), "ok");
    }

    #[test]
    fn wrong_argument_count_is_an_error() {
        let vars = Value::object([("xs", Value::List(vec![]))]);
        let err = hbs("{{join xs}}", vars.clone()).unwrap_err();
        assert!(err.contains("join: takes 2 argument(s) (list, separator), got 1"), "{err}");
        let err = hbs("{{join xs separator=\",\"}}", vars).unwrap_err();
        assert!(err.contains("join: takes no named arguments, got separator="), "{err}");
    }

    #[test]
    fn a_missing_helper_argument_is_named_in_strict_mode() {
        let err = hbs("{{hadoop_xml propz}}", Value::object([("props", Value::object([("a", Value::from(1))]))]))
            .unwrap_err();
        assert!(err.contains("\"propz\"") && err.contains("line 1, column 1"), "{err}");
    }
}
