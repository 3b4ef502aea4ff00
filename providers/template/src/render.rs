//! `data "template_handlebars"`: a handlebars template rendered with `vars` as its context.
//! HTML escaping is off: the output is configuration files, not web pages.

use handlebars::{Handlebars, JsonValue, RenderError, RenderErrorReason, TemplateError};
use meshform_engine::eval::Value;
use meshform_engine::provider::ProviderError;

use crate::helpers;

/// What a variable the context lacks renders as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingVariables {
    /// An error naming the variable (`strict = true`, the default).
    Fail,
    /// Nothing, as handlebars.js renders it (`strict = false`).
    RenderEmpty,
}

/// The name the template is registered under; messages do not show it.
const TEMPLATE: &str = "template";

pub fn read(config: &Value) -> Result<Value, ProviderError> {
    let template = match config.get_attr("template") {
        Some(Value::String(s)) => s,
        _ => return Err(ProviderError::new("template is required")),
    };
    let missing = match config.get_attr("strict") {
        Some(Value::Bool(false)) => MissingVariables::RenderEmpty,
        _ => MissingVariables::Fail,
    };
    let vars = config.get_attr("vars").cloned().unwrap_or(Value::Null);
    let rendered = render(template, &vars, missing)?;
    let mut obj = config.as_map().cloned().unwrap_or_default();
    obj.insert("rendered".into(), Value::String(rendered));
    Ok(Value::Object(obj.into()))
}

/// Renders `template` with `vars` (null: an empty object) as its context.
pub fn render(template: &str, vars: &Value, missing: MissingVariables) -> Result<String, ProviderError> {
    let context = context(vars)?;
    let mut hb = Handlebars::new();
    hb.set_strict_mode(missing == MissingVariables::Fail);
    hb.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut hb);
    hb.register_template_string(TEMPLATE, template).map_err(|e| syntax_error(&e))?;
    hb.render(TEMPLATE, &context).map_err(render_error)
}

/// The context as JSON. Numbers keep the text Terraform prints for them (the workspace's
/// serde_json has arbitrary precision), so `{{n}}` writes what `"${n}"` writes and the
/// helpers get back the exact number.
fn context(vars: &Value) -> Result<JsonValue, ProviderError> {
    if vars.is_null() {
        return Ok(JsonValue::Object(serde_json::Map::new()));
    }
    // The engine reads data sources only once their configuration is known; a value
    // known only after apply has no text to render, so say so instead of rendering null.
    if !vars.is_wholly_known() {
        return Err(ProviderError::new("vars holds values known only after apply; they cannot be rendered yet"));
    }
    Ok(vars.to_json())
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

fn syntax_error(e: &TemplateError) -> ProviderError {
    let (line, column) = e.pos().unzip();
    ProviderError::new(format!("template syntax error{}: {}", at(line, column), e.reason()))
}

fn render_error(e: RenderError) -> ProviderError {
    let why = match e.reason() {
        RenderErrorReason::MissingVariable(Some(name)) => {
            format!("variable {name:?} is missing from vars (strict = false renders it empty)")
        }
        RenderErrorReason::MissingVariable(None) => {
            "a variable is missing from vars (strict = false renders it empty)".to_string()
        }
        RenderErrorReason::TemplateError(t) => return syntax_error(t),
        other => other.to_string(),
    };
    ProviderError::new(format!("template render error{}: {why}", at(e.line_no, e.column_no)))
}

#[cfg(test)]
mod tests {
    use meshform_engine::eval::Number;

    use super::*;

    #[test]
    fn strict_mode_names_a_missing_variable_and_where_it_is() {
        let vars = Value::object([("port", Value::from(9000))]);
        let err = render("host: x\nfs: hdfs://{{namenode}}:{{port}}\n", &vars, MissingVariables::Fail).unwrap_err();
        assert!(err.message.starts_with("template render error at line 2, column 12:"), "{}", err.message);
        assert!(err.message.contains("\"namenode\""), "{}", err.message);
    }

    #[test]
    fn without_strict_mode_a_missing_variable_is_empty() {
        let vars = Value::object([("port", Value::from(9000))]);
        assert_eq!(render("{{namenode}}:{{port}}", &vars, MissingVariables::RenderEmpty).unwrap(), ":9000");
    }

    #[test]
    fn a_syntax_error_says_so_with_line_and_column() {
        let err = render("a\n{{#if x}}\nb\n", &Value::Null, MissingVariables::Fail).unwrap_err();
        assert!(err.message.starts_with("template syntax error at line "), "{}", err.message);
        let err = render("ok\n  {{ foo bar= }}", &Value::Null, MissingVariables::Fail).unwrap_err();
        assert!(err.message.starts_with("template syntax error at line 2, column "), "{}", err.message);
    }

    #[test]
    fn numbers_render_as_terraform_prints_them() {
        let third = Number::from_i64(1).div(&Number::from_i64(3)).unwrap();
        let vars = Value::object([
            ("big", Value::Number(Number::parse("12345678901234567890").unwrap())),
            ("half", Value::Number(Number::parse("0.5").unwrap())),
            ("third", Value::Number(third.clone())),
        ]);
        assert_eq!(
            render("{{big}} {{half}} {{third}}", &vars, MissingVariables::Fail).unwrap(),
            format!("12345678901234567890 0.5 {third}")
        );
    }

    #[test]
    fn null_vars_are_an_empty_context_and_unknown_vars_an_error() {
        assert_eq!(render("plain", &Value::Null, MissingVariables::Fail).unwrap(), "plain");
        let unknown = Value::object([("a", Value::Unknown)]);
        assert!(render("{{a}}", &unknown, MissingVariables::Fail).is_err());
    }

    #[test]
    fn read_adds_rendered_to_the_configuration() {
        let config = Value::object([
            ("template", Value::from("{{a}}")),
            ("vars", Value::object([("a", Value::from("x"))])),
            ("strict", Value::Null),
            ("rendered", Value::Null),
        ]);
        let out = read(&config).unwrap();
        assert_eq!(out.get_attr("rendered"), Some(&Value::from("x")));
        assert_eq!(out.get_attr("template"), Some(&Value::from("{{a}}")));
    }
}
