//! `aws_instance`: RunInstances with a ClientToken and the intent tag, waiting until
//! `running`; in-place changes (tags, security groups, and instance type or user data
//! with a stop and start); terminate, waiting until `terminated`; adoption by tag.

use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeValue, BlockDeviceMapping, EbsBlockDevice, Filter, Instance, InstanceMarketOptionsRequest, ResourceType,
    SecureBlobAttributeValue, SpotMarketOptions,
};
use base64::Engine as _;
use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{ApplyRequest, ProviderError};

use crate::client::{Ec2, aws_error, is_not_found, string_map, tags_map, timeout, wait_for};
use crate::network::arn;
use crate::{INTENT_TAG, get, get_bool, get_i64, get_str, get_strings, id_of, opt_str};

const CREATE: Duration = Duration::from_secs(600);
const UPDATE: Duration = Duration::from_secs(600);
const DELETE: Duration = Duration::from_secs(1200);

pub async fn apply(c: &Ec2, req: &ApplyRequest<'_>) -> Result<Value, ProviderError> {
    let Some(planned) = req.planned else {
        if let Some(prior) = req.prior {
            terminate(c, prior).await?;
        }
        return Ok(Value::Null);
    };
    match req.prior {
        None => create(c, planned, req.intent).await,
        Some(prior) => update(c, prior, planned).await,
    }
}

async fn create(c: &Ec2, p: &Value, intent: &str) -> Result<Value, ProviderError> {
    let ami = get_str(p, "ami").ok_or_else(|| ProviderError::new("ami is required"))?;
    let instance_type = get_str(p, "instance_type").ok_or_else(|| ProviderError::new("instance_type is required"))?;
    let mut call = c
        .client
        .run_instances()
        .image_id(&ami)
        .instance_type(instance_type.as_str().into())
        .min_count(1)
        .max_count(1)
        .tag_specifications(c.tag_spec(ResourceType::Instance, &string_map(&get(p, "tags")), intent))
        .set_key_name(get_str(p, "key_name"))
        .set_private_ip_address(get_str(p, "private_ip"));
    if !intent.is_empty() {
        // Idempotency on AWS's side; the intent tag is what adoption looks for.
        call = call.client_token(&intent[..intent.len().min(64)]);
    }
    if let Some(az) = get_str(p, "availability_zone") {
        call = call.placement(aws_sdk_ec2::types::Placement::builder().availability_zone(az).build());
    }
    let groups = get_strings(p, "vpc_security_group_ids");
    let subnet = get_str(p, "subnet_id");
    if let Some(public) = get_bool(p, "associate_public_ip_address") {
        // A public address is asked for on the primary network interface, which then
        // carries the subnet and groups too.
        let nic = aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
            .device_index(0)
            .associate_public_ip_address(public)
            .set_subnet_id(subnet)
            .set_groups(Some(groups).filter(|g| !g.is_empty()))
            .build();
        call = call.network_interfaces(nic);
    } else {
        call = call.set_subnet_id(subnet).set_security_group_ids(Some(groups).filter(|g| !g.is_empty()));
    }
    if let Some(data) = get_str(p, "user_data") {
        call = call.user_data(base64::engine::general_purpose::STANDARD.encode(data));
    }
    let root = get(p, "root_block_device");
    if root.as_map().is_some() {
        call = call.block_device_mappings(root_mapping(c, &ami, &root).await?);
    }
    let market = get(p, "instance_market_options");
    if market.as_map().is_some() {
        call = call.instance_market_options(market_options(&market));
    }
    let out = call.send().await.map_err(|e| aws_error("RunInstances", e))?;
    let id = out
        .instances()
        .first()
        .and_then(Instance::instance_id)
        .ok_or_else(|| ProviderError::new("RunInstances returned no instance"))?
        .to_string();
    wait_running(c, &id, timeout(p, "create", CREATE)?).await?;
    read(c, &id, p).await?.ok_or_else(|| ProviderError::new(format!("instance {id} vanished right after it started")))
}

async fn root_mapping(c: &Ec2, ami: &str, root: &Value) -> Result<BlockDeviceMapping, ProviderError> {
    let images = c.client.describe_images().image_ids(ami).send().await.map_err(|e| aws_error("DescribeImages", e))?;
    let device = images.images().first().and_then(|i| i.root_device_name()).unwrap_or("/dev/xvda").to_string();
    let ebs = EbsBlockDevice::builder()
        .set_volume_size(get_i64(root, "volume_size").map(|n| n as i32))
        .set_volume_type(get_str(root, "volume_type").map(|t| t.as_str().into()))
        .set_delete_on_termination(get_bool(root, "delete_on_termination"))
        .set_encrypted(get_bool(root, "encrypted"))
        .build();
    Ok(BlockDeviceMapping::builder().device_name(device).ebs(ebs).build())
}

fn market_options(m: &Value) -> InstanceMarketOptionsRequest {
    let spot = get(m, "spot_options");
    let mut b = InstanceMarketOptionsRequest::builder()
        .market_type(get_str(m, "market_type").unwrap_or_else(|| "spot".into()).as_str().into());
    if spot.as_map().is_some() {
        b = b.spot_options(
            SpotMarketOptions::builder()
                .set_max_price(get_str(&spot, "max_price"))
                .set_spot_instance_type(get_str(&spot, "spot_instance_type").map(|t| t.as_str().into()))
                .set_instance_interruption_behavior(
                    get_str(&spot, "instance_interruption_behavior").map(|t| t.as_str().into()),
                )
                .build(),
        );
    }
    b.build()
}

async fn describe(c: &Ec2, id: &str) -> Result<Option<Instance>, ProviderError> {
    match c.client.describe_instances().instance_ids(id).send().await.map_err(|e| aws_error("DescribeInstances", e)) {
        Ok(out) => Ok(out.reservations().iter().flat_map(|r| r.instances()).next().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn state_of(i: &Instance) -> &str {
    i.state().and_then(|s| s.name()).map_or("unknown", |n| n.as_str())
}

async fn wait_state(c: &Ec2, id: &str, want: &str, limit: Duration) -> Result<(), ProviderError> {
    wait_for(&format!("instance {id} to be {want}"), limit, || async {
        let Some(i) = describe(c, id).await? else {
            return if want == "terminated" {
                Ok(Some(()))
            } else {
                Err(ProviderError {
                    message: format!("instance {id} disappeared"),
                    code: Some("InvalidInstanceID.NotFound".into()),
                })
            };
        };
        let state = state_of(&i);
        if state == want {
            return Ok(Some(()));
        }
        if want == "running" && matches!(state, "terminated" | "shutting-down") {
            let reason = i.state_reason().and_then(|r| r.message()).unwrap_or("no reason given");
            return Err(ProviderError {
                message: format!("instance {id} is {state} instead of running: {reason}"),
                code: Some("InstanceTerminated".into()),
            });
        }
        Ok(None)
    })
    .await
}

async fn wait_running(c: &Ec2, id: &str, limit: Duration) -> Result<(), ProviderError> {
    wait_state(c, id, "running", limit).await
}

async fn update(c: &Ec2, prior: &Value, p: &Value) -> Result<Value, ProviderError> {
    let id = id_of(prior)?;
    let limit = timeout(p, "update", UPDATE)?;
    let groups = get_strings(p, "vpc_security_group_ids");
    if get(p, "vpc_security_group_ids").is_wholly_known()
        && !groups.is_empty()
        && get(p, "vpc_security_group_ids") != get(prior, "vpc_security_group_ids")
    {
        c.client
            .modify_instance_attribute()
            .instance_id(&id)
            .set_groups(Some(groups))
            .send()
            .await
            .map_err(|e| aws_error("ModifyInstanceAttribute", e))?;
    }
    let type_changed = get(p, "instance_type") != get(prior, "instance_type");
    let data_changed = get(p, "user_data") != get(prior, "user_data");
    if type_changed || data_changed {
        // Both can change only while the instance is stopped.
        c.client.stop_instances().instance_ids(&id).send().await.map_err(|e| aws_error("StopInstances", e))?;
        wait_state(c, &id, "stopped", limit).await?;
        if type_changed && let Some(t) = get_str(p, "instance_type") {
            c.client
                .modify_instance_attribute()
                .instance_id(&id)
                .instance_type(AttributeValue::builder().value(t).build())
                .send()
                .await
                .map_err(|e| aws_error("ModifyInstanceAttribute", e))?;
        }
        if data_changed {
            let data = get_str(p, "user_data").unwrap_or_default();
            c.client
                .modify_instance_attribute()
                .instance_id(&id)
                .user_data(
                    SecureBlobAttributeValue::builder()
                        .value(aws_sdk_ec2::primitives::Blob::new(data.into_bytes()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| aws_error("ModifyInstanceAttribute", e))?;
        }
        c.client.start_instances().instance_ids(&id).send().await.map_err(|e| aws_error("StartInstances", e))?;
        wait_running(c, &id, limit).await?;
    }
    if get(p, "tags_all").as_map().is_some() {
        c.retag(&id, &string_map(&get(prior, "tags_all")), &string_map(&get(p, "tags_all"))).await?;
    }
    read(c, &id, p).await?.ok_or_else(|| ProviderError::new(format!("instance {id} vanished while it was updated")))
}

async fn terminate(c: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    let id = id_of(prior)?;
    match c.client.terminate_instances().instance_ids(&id).send().await.map_err(|e| aws_error("TerminateInstances", e))
    {
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    wait_state(c, &id, "terminated", timeout(prior, "delete", DELETE)?).await
}

/// The instance as recorded; `base` gives what EC2 does not report back (user data as
/// written, the root volume and market options asked for, timeouts). A terminated
/// instance is gone.
pub async fn read(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(i) = describe(c, id).await? else { return Ok(None) };
    Ok(recorded(c, id, &i, base))
}

/// How many instances one refresh call reads: EC2 takes at most 200 values in a filter.
pub const READ_BATCH: usize = 200;

/// Reads many recorded instances with one `DescribeInstances` (by an `instance-id` filter,
/// which leaves out what is gone instead of failing on it), following its pages.
pub async fn read_many(c: &Ec2, states: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    let ids: Vec<Result<String, ProviderError>> = states.iter().map(id_of).collect();
    let wanted: Vec<String> = ids.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let mut found: std::collections::HashMap<String, Instance> = std::collections::HashMap::new();
    let mut next: Option<String> = None;
    while !wanted.is_empty() {
        let call = c
            .client
            .describe_instances()
            .filters(Filter::builder().name("instance-id").set_values(Some(wanted.clone())).build())
            .max_results(1000)
            .set_next_token(next.take());
        match call.send().await {
            Ok(out) => {
                for i in out.reservations().iter().flat_map(|r| r.instances()) {
                    if let Some(id) = i.instance_id() {
                        found.insert(id.to_string(), i.clone());
                    }
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => next = Some(t.to_string()),
                    _ => break,
                }
            }
            Err(e) => {
                let e = aws_error("DescribeInstances", e);
                return states.iter().map(|_| Err(e.clone())).collect();
            }
        }
    }
    ids.into_iter()
        .zip(states)
        .map(|(id, base)| {
            let id = id?;
            Ok(found.get(&id).and_then(|i| recorded(c, &id, i, base)))
        })
        .collect()
}

/// The recorded form of a described instance; `None` for one that is gone.
fn recorded(c: &Ec2, id: &str, i: &Instance, base: &Value) -> Option<Value> {
    if matches!(state_of(i), "terminated" | "shutting-down") {
        return None;
    }
    // Groups given on the primary network interface show there, not always on the instance.
    let groups: Vec<Value> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .chain(i.network_interfaces().iter().flat_map(|n| n.groups()).filter_map(|g| g.group_id()))
        .map(Value::from)
        .collect();
    let (tags, tags_all) = c.tag_attrs(&tags_map(i.tags()), base);
    let root = get(base, "root_block_device");
    let root = if root.is_null() || !root.is_wholly_known() {
        Value::object([
            ("volume_size", Value::Number(Number::from_i64(get_i64(&root, "volume_size").unwrap_or(8)))),
            ("volume_type", Value::from(get_str(&root, "volume_type").unwrap_or_else(|| "gp2".into()))),
            ("delete_on_termination", Value::Bool(get_bool(&root, "delete_on_termination").unwrap_or(true))),
            ("encrypted", Value::Bool(get_bool(&root, "encrypted").unwrap_or(false))),
        ])
    } else {
        root
    };
    // EC2's defaults where the configuration left a market option to it.
    let market = get(base, "instance_market_options");
    let market = if market.as_map().is_some() {
        let spot = get(&market, "spot_options");
        let or = |v: &Value, name: &str, default: &str| match get_str(v, name) {
            Some(s) => Value::from(s),
            None if get(v, name).is_unknown() => Value::from(default),
            None => get(v, name),
        };
        let spot = if spot.as_map().is_some() {
            Value::object([
                ("max_price", get(&spot, "max_price")),
                ("spot_instance_type", or(&spot, "spot_instance_type", "one-time")),
                ("instance_interruption_behavior", or(&spot, "instance_interruption_behavior", "terminate")),
            ])
        } else {
            spot
        };
        Value::object([("market_type", or(&market, "market_type", "spot")), ("spot_options", spot)])
    } else {
        market
    };
    Some(Value::object([
        ("id", Value::from(id)),
        ("arn", arn(c, None, "instance", id)),
        ("ami", opt_str(i.image_id())),
        ("instance_type", opt_str(i.instance_type().map(|t| t.as_str()))),
        ("subnet_id", opt_str(i.subnet_id())),
        ("vpc_security_group_ids", Value::set(groups)),
        ("key_name", opt_str(i.key_name())),
        ("user_data", get(base, "user_data")),
        ("user_data_replace_on_change", get(base, "user_data_replace_on_change")),
        (
            "associate_public_ip_address",
            match get_bool(base, "associate_public_ip_address") {
                Some(b) => Value::Bool(b),
                None => Value::Bool(i.public_ip_address().is_some()),
            },
        ),
        ("availability_zone", opt_str(i.placement().and_then(|p| p.availability_zone()))),
        ("private_ip", opt_str(i.private_ip_address())),
        ("public_ip", Value::from(i.public_ip_address().unwrap_or_default())),
        ("private_dns", Value::from(i.private_dns_name().unwrap_or_default())),
        ("public_dns", Value::from(i.public_dns_name().unwrap_or_default())),
        ("instance_state", Value::from(state_of(i))),
        ("instance_lifecycle", Value::from(i.instance_lifecycle().map(|l| l.as_str()).unwrap_or_default())),
        ("spot_instance_request_id", Value::from(i.spot_instance_request_id().unwrap_or_default())),
        ("tags", tags),
        ("tags_all", tags_all),
        ("root_block_device", root),
        ("instance_market_options", if market.is_wholly_known() { market } else { Value::Null }),
        ("timeouts", get(base, "timeouts")),
    ]))
}

/// Finds the instance a killed create booted, by its intent tag, and waits for it to run.
pub async fn adopt(c: &Ec2, intent: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
    let out = c
        .client
        .describe_instances()
        .filters(Filter::builder().name(format!("tag:{INTENT_TAG}")).values(intent).build())
        .filters(Filter::builder().name("instance-state-name").values("pending").values("running").build())
        .send()
        .await
        .map_err(|e| aws_error("DescribeInstances", e))?;
    let Some(id) = out.reservations().iter().flat_map(|r| r.instances()).find_map(Instance::instance_id) else {
        return Ok(None);
    };
    wait_running(c, id, timeout(planned, "create", CREATE)?).await?;
    read(c, id, planned).await
}
