//! Data sources: `aws_ami` and `aws_availability_zones`.

use aws_sdk_ec2::types::{Filter, Image};
use meshform_engine::eval::Value;
use meshform_engine::provider::ProviderError;

use crate::client::{Ec2, aws_error};
use crate::{get, get_bool, get_str, get_strings, opt_str};

pub async fn read(c: &Ec2, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
    match type_name {
        "aws_ami" => ami(c, config).await,
        "aws_availability_zones" => zones(c, config).await,
        _ => Err(ProviderError::new(format!("the aws provider has no data source {type_name:?}"))),
    }
}

async fn ami(c: &Ec2, config: &Value) -> Result<Value, ProviderError> {
    let mut call = c.client.describe_images().set_owners(Some(get_strings(config, "owners")).filter(|o| !o.is_empty()));
    for f in get(config, "filter").as_seq().unwrap_or_default() {
        let name = get_str(f, "name").unwrap_or_default();
        call = call.filters(Filter::builder().name(name).set_values(Some(get_strings(f, "values"))).build());
    }
    let out = call.send().await.map_err(|e| aws_error("DescribeImages", e))?;
    let regex = match get_str(config, "name_regex") {
        Some(r) => Some(regex::Regex::new(&r).map_err(|e| ProviderError::new(format!("name_regex {r:?}: {e}")))?),
        None => None,
    };
    let mut images: Vec<&Image> = out
        .images()
        .iter()
        .filter(|i| regex.as_ref().is_none_or(|m| m.is_match(i.name().unwrap_or_default())))
        .collect();
    if images.is_empty() {
        return Err(ProviderError {
            message: "Your query returned no results. Please change your search criteria and try again.".into(),
            code: Some("NoMatchingImage".into()),
        });
    }
    if images.len() > 1 && get_bool(config, "most_recent") != Some(true) {
        return Err(ProviderError {
            message: format!(
                "Your query returned more than one result ({}). Please try a more specific search criteria, or set `most_recent` attribute to true.",
                images.len()
            ),
            code: Some("MultipleImages".into()),
        });
    }
    images.sort_by(|a, b| a.creation_date().unwrap_or_default().cmp(b.creation_date().unwrap_or_default()));
    let Some(i) = images.last() else { return Err(ProviderError::new("no image")) };
    let id = i.image_id().unwrap_or_default();
    Ok(Value::object([
        ("owners", get(config, "owners")),
        ("most_recent", get(config, "most_recent")),
        ("name_regex", get(config, "name_regex")),
        ("filter", get(config, "filter")),
        ("id", Value::from(id)),
        ("image_id", Value::from(id)),
        ("name", opt_str(i.name())),
        ("description", opt_str(i.description())),
        ("architecture", opt_str(i.architecture().map(|a| a.as_str()))),
        ("creation_date", opt_str(i.creation_date())),
        ("owner_id", opt_str(i.owner_id())),
        ("root_device_name", opt_str(i.root_device_name())),
        ("virtualization_type", opt_str(i.virtualization_type().map(|v| v.as_str()))),
    ]))
}

async fn zones(c: &Ec2, config: &Value) -> Result<Value, ProviderError> {
    let mut call = c.client.describe_availability_zones();
    if let Some(state) = get_str(config, "state") {
        call = call.filters(Filter::builder().name("state").values(state).build());
    }
    let out = call.send().await.map_err(|e| aws_error("DescribeAvailabilityZones", e))?;
    let zones = out.availability_zones();
    let region = c.client.config().region().map(|r| r.to_string()).unwrap_or_default();
    Ok(Value::object([
        ("state", get(config, "state")),
        ("id", Value::from(region)),
        ("names", Value::List(zones.iter().filter_map(|z| z.zone_name()).map(Value::from).collect())),
        ("zone_ids", Value::List(zones.iter().filter_map(|z| z.zone_id()).map(Value::from).collect())),
    ]))
}
