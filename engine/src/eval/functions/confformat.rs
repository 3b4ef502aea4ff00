//! Built-in functions for the configuration formats of data clusters:
//! `hadoop_config_xml(map)` renders a Hadoop `*-site.xml`, `spark_conf(map)` a
//! `spark-defaults.conf`. Keys come out sorted, values XML-escaped where needed.

use super::args::map;
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;
use crate::eval::value::to_string;

pub(super) fn register(r: &mut Registry) {
    r.add("hadoop_config_xml", Arity::Exactly(1), hadoop_config_xml);
    r.add("spark_conf", Arity::Exactly(1), spark_conf);
}

/// Property values as strings; collections are refused with the key that holds them.
fn properties(a: &[Value]) -> Result<Vec<(String, String)>, FunctionError> {
    map(a, 0)?
        .iter()
        .map(|(k, v)| match to_string(v) {
            Some(s) => Ok((k.clone(), s)),
            None => Err(FunctionError::at(0, format!("property {k:?} must be a string, number or bool"))),
        })
        .collect()
}

/// The five XML entities escaped, as Hadoop's `*-site.xml` files need them.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn hadoop_config_xml(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n<configuration>\n",
    );
    for (k, v) in properties(&a)? {
        out.push_str(&format!(
            "  <property>\n    <name>{}</name>\n    <value>{}</value>\n  </property>\n",
            xml_escape(&k),
            xml_escape(&v)
        ));
    }
    out.push_str("</configuration>\n");
    Ok(Value::String(out))
}

fn spark_conf(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let mut out = String::new();
    for (k, v) in properties(&a)? {
        if k.chars().any(char::is_whitespace) || v.contains('\n') {
            return Err(FunctionError::at(0, format!("property {k:?} cannot be written as one `key value` line")));
        }
        out.push_str(&format!("{k} {v}\n"));
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FunctionContext<'static> {
        FunctionContext { module_dir: std::path::Path::new(".") }
    }

    #[test]
    fn hadoop_xml_escapes_and_sorts() {
        let props = Value::object([
            ("fs.defaultFS", Value::from("hdfs://nn:9000")),
            ("dfs.replication", Value::from(3)),
            ("x.y", Value::from("a<b&c")),
        ]);
        let xml = hadoop_config_xml(&ctx(), vec![props]).unwrap();
        let xml = xml.as_str().unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        let dfs = xml.find("dfs.replication").unwrap();
        let fs = xml.find("fs.defaultFS").unwrap();
        assert!(dfs < fs, "keys sorted");
        assert!(xml.contains("<value>3</value>"));
        assert!(xml.contains("<value>a&lt;b&amp;c</value>"));
        assert!(xml.ends_with("</configuration>\n"));
    }

    #[test]
    fn spark_conf_is_key_value_lines() {
        let props =
            Value::object([("spark.master", Value::from("spark://m:7077")), ("spark.executor.cores", Value::from(2))]);
        assert_eq!(
            spark_conf(&ctx(), vec![props]).unwrap(),
            Value::from("spark.executor.cores 2\nspark.master spark://m:7077\n")
        );
        let bad = Value::object([("a b", Value::from("x"))]);
        assert!(spark_conf(&ctx(), vec![bad]).is_err());
    }
}
