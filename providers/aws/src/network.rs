//! VPCs, subnets, internet gateways, route tables and their associations, security
//! groups and key pairs: create, read back, update in place, delete, and adopt by the
//! intent tag.

use std::time::Duration;

use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, IpPermission, IpRange, ResourceType, RouteTable, SecurityGroup, UserIdGroupPair,
    VpcAttributeName,
};
use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{ApplyRequest, ProviderError};

use crate::client::{Ec2, aws_error, is_not_found, sent, string_map, tags_map, wait_for};
use crate::plan::protocol_name;
use crate::{INTENT_TAG, get, get_bool, get_i64, get_str, get_strings, id_of, opt_str};

fn required(v: &Value, name: &str) -> Result<String, ProviderError> {
    get_str(v, name).ok_or_else(|| ProviderError::new(format!("{name} is required")))
}

fn intent_filter(intent: &str) -> Filter {
    Filter::builder().name(format!("tag:{INTENT_TAG}")).values(intent).build()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// A read that found nothing is `None`, other errors stay errors.
fn found<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn arn(c: &Ec2, owner: Option<&str>, kind: &str, id: &str) -> Value {
    let region = c.client.config().region().map(|r| r.to_string()).unwrap_or_default();
    Value::from(format!("arn:aws:ec2:{region}:{}:{kind}/{id}", owner.unwrap_or_default()))
}

pub async fn apply(c: &Ec2, req: &ApplyRequest<'_>) -> Result<Value, ProviderError> {
    let t = req.type_name;
    let Some(planned) = req.planned else {
        let Some(prior) = req.prior else { return Ok(Value::Null) };
        delete(c, t, prior).await?;
        return Ok(Value::Null);
    };
    let id = match req.prior {
        None => create(c, t, planned, req.intent).await?,
        Some(prior) => {
            update(c, t, prior, planned).await?;
            id_of(prior)?
        }
    };
    read(c, t, &id, planned)
        .await?
        .ok_or_else(|| ProviderError::new(format!("{t} {id} vanished right after it was made")))
}

pub async fn read(c: &Ec2, t: &str, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    match t {
        "aws_vpc" => read_vpc(c, id, base).await,
        "aws_subnet" => read_subnet(c, id, base).await,
        "aws_internet_gateway" => read_igw(c, id, base).await,
        "aws_route_table" => read_route_table(c, id, base).await,
        "aws_route_table_association" => read_association(c, id).await,
        "aws_security_group" => read_sg(c, id, base).await,
        "aws_key_pair" => read_key_pair(c, id, base).await,
        _ => Err(ProviderError::new(format!("the aws provider has no resource type {t:?}"))),
    }
}

/// Finds what a killed create of type `t` made, by the intent tag it carried.
pub async fn adopt(c: &Ec2, t: &str, intent: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
    let f = intent_filter(intent);
    let id: Option<String> = match t {
        "aws_vpc" => {
            let out = c.client.describe_vpcs().filters(f).send().await.map_err(|e| aws_error("DescribeVpcs", e))?;
            out.vpcs().first().and_then(|v| v.vpc_id()).map(str::to_string)
        }
        "aws_subnet" => {
            let out =
                c.client.describe_subnets().filters(f).send().await.map_err(|e| aws_error("DescribeSubnets", e))?;
            out.subnets().first().and_then(|v| v.subnet_id()).map(str::to_string)
        }
        "aws_internet_gateway" => {
            let out = c
                .client
                .describe_internet_gateways()
                .filters(f)
                .send()
                .await
                .map_err(|e| aws_error("DescribeInternetGateways", e))?;
            out.internet_gateways().first().and_then(|v| v.internet_gateway_id()).map(str::to_string)
        }
        "aws_route_table" => {
            let out = c
                .client
                .describe_route_tables()
                .filters(f)
                .send()
                .await
                .map_err(|e| aws_error("DescribeRouteTables", e))?;
            out.route_tables().first().and_then(|v| v.route_table_id()).map(str::to_string)
        }
        "aws_route_table_association" => {
            // Associations carry no tags; a subnet has one route table, so the pair names it.
            let (Some(subnet), Some(table)) = (get_str(planned, "subnet_id"), get_str(planned, "route_table_id"))
            else {
                return Ok(None);
            };
            let Some(rt) = describe_route_table(c, &table).await? else { return Ok(None) };
            rt.associations()
                .iter()
                .find(|a| a.subnet_id() == Some(subnet.as_str()))
                .and_then(|a| a.route_table_association_id())
                .map(str::to_string)
        }
        "aws_security_group" => {
            let out = c
                .client
                .describe_security_groups()
                .filters(f)
                .send()
                .await
                .map_err(|e| aws_error("DescribeSecurityGroups", e))?;
            out.security_groups().first().and_then(|v| v.group_id()).map(str::to_string)
        }
        "aws_key_pair" => match get_str(planned, "key_name") {
            // A key pair's name is unique in its region, so a named one is found by name.
            Some(name) => Some(name),
            None => {
                let out = c
                    .client
                    .describe_key_pairs()
                    .filters(f)
                    .send()
                    .await
                    .map_err(|e| aws_error("DescribeKeyPairs", e))?;
                out.key_pairs().first().and_then(|k| k.key_name()).map(str::to_string)
            }
        },
        _ => None,
    };
    let Some(id) = id else { return Ok(None) };
    let Some(current) = read(c, t, &id, planned).await? else { return Ok(None) };
    // The create may have stopped before its follow-up calls (attribute changes, rules,
    // routes); finishing them now makes the object what was planned.
    update(c, t, &current, planned).await?;
    read(c, t, &id, planned).await
}

async fn create(c: &Ec2, t: &str, p: &Value, intent: &str) -> Result<String, ProviderError> {
    let tags = string_map(&get(p, "tags"));
    match t {
        "aws_vpc" => {
            let mut call = c.client.create_vpc().cidr_block(required(p, "cidr_block")?).tag_specifications(c.tag_spec(
                ResourceType::Vpc,
                &tags,
                intent,
            ));
            if let Some(t) = get_str(p, "instance_tenancy") {
                call = call.instance_tenancy(t.as_str().into());
            }
            let out = call.send().await.map_err(|e| aws_error("CreateVpc", e))?;
            let id =
                out.vpc().and_then(|v| v.vpc_id()).ok_or_else(|| ProviderError::new("CreateVpc returned no VPC id"))?;
            set_vpc_dns(c, id, &Value::Null, p).await?;
            Ok(id.to_string())
        }
        "aws_subnet" => {
            let mut call = c
                .client
                .create_subnet()
                .vpc_id(required(p, "vpc_id")?)
                .cidr_block(required(p, "cidr_block")?)
                .tag_specifications(c.tag_spec(ResourceType::Subnet, &tags, intent));
            if let Some(az) = get_str(p, "availability_zone") {
                call = call.availability_zone(az);
            }
            let out = call.send().await.map_err(|e| aws_error("CreateSubnet", e))?;
            let id = out
                .subnet()
                .and_then(|s| s.subnet_id())
                .ok_or_else(|| ProviderError::new("CreateSubnet returned no id"))?;
            if get_bool(p, "map_public_ip_on_launch") == Some(true) {
                set_public_ip(c, id, true).await?;
            }
            Ok(id.to_string())
        }
        "aws_internet_gateway" => {
            let out = c
                .client
                .create_internet_gateway()
                .tag_specifications(c.tag_spec(ResourceType::InternetGateway, &tags, intent))
                .send()
                .await
                .map_err(|e| aws_error("CreateInternetGateway", e))?;
            let id = out
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .ok_or_else(|| ProviderError::new("CreateInternetGateway returned no id"))?;
            if let Some(vpc) = get_str(p, "vpc_id") {
                attach_igw(c, id, &vpc).await?;
            }
            Ok(id.to_string())
        }
        "aws_route_table" => {
            let out = c
                .client
                .create_route_table()
                .vpc_id(required(p, "vpc_id")?)
                .tag_specifications(c.tag_spec(ResourceType::RouteTable, &tags, intent))
                .send()
                .await
                .map_err(|e| aws_error("CreateRouteTable", e))?;
            let id = out
                .route_table()
                .and_then(|r| r.route_table_id())
                .ok_or_else(|| ProviderError::new("CreateRouteTable returned no id"))?;
            set_routes(c, id, &Value::set(Vec::new()), &get(p, "route")).await?;
            Ok(id.to_string())
        }
        "aws_route_table_association" => {
            let out = c
                .client
                .associate_route_table()
                .subnet_id(required(p, "subnet_id")?)
                .route_table_id(required(p, "route_table_id")?)
                .send()
                .await
                .map_err(|e| aws_error("AssociateRouteTable", e))?;
            Ok(out
                .association_id()
                .ok_or_else(|| ProviderError::new("AssociateRouteTable returned no id"))?
                .to_string())
        }
        "aws_security_group" => {
            let name = get_str(p, "name").unwrap_or_else(|| format!("meshform-{}", &intent[..intent.len().min(13)]));
            let mut call = c
                .client
                .create_security_group()
                .group_name(name)
                .description(get_str(p, "description").unwrap_or_else(|| "Managed by meshform".into()))
                .tag_specifications(c.tag_spec(ResourceType::SecurityGroup, &tags, intent));
            if let Some(vpc) = get_str(p, "vpc_id") {
                call = call.vpc_id(vpc);
            }
            let out = call.send().await.map_err(|e| aws_error("CreateSecurityGroup", e))?;
            let id =
                out.group_id().ok_or_else(|| ProviderError::new("CreateSecurityGroup returned no id"))?.to_string();
            // A new group in a VPC allows all egress; the rules are the configuration's only.
            let current = read_sg(c, &id, p).await?.unwrap_or(Value::Null);
            set_rules(c, &id, &current, p).await?;
            Ok(id)
        }
        "aws_key_pair" => {
            let name =
                get_str(p, "key_name").unwrap_or_else(|| format!("meshform-{}", &intent[..intent.len().min(13)]));
            let out = c
                .client
                .import_key_pair()
                .key_name(&name)
                .public_key_material(Blob::new(required(p, "public_key")?.into_bytes()))
                .tag_specifications(c.tag_spec(ResourceType::KeyPair, &tags, intent))
                .send()
                .await
                .map_err(|e| aws_error("ImportKeyPair", e))?;
            Ok(out.key_name().unwrap_or(&name).to_string())
        }
        _ => Err(ProviderError::new(format!("the aws provider has no resource type {t:?}"))),
    }
}

async fn update(c: &Ec2, t: &str, prior: &Value, p: &Value) -> Result<(), ProviderError> {
    let id = id_of(prior)?;
    match t {
        "aws_vpc" => set_vpc_dns(c, &id, prior, p).await?,
        "aws_subnet" => {
            let want = get_bool(p, "map_public_ip_on_launch");
            if want.is_some() && want != get_bool(prior, "map_public_ip_on_launch") {
                set_public_ip(c, &id, want == Some(true)).await?;
            }
        }
        "aws_internet_gateway" => {
            let (old, new) = (get_str(prior, "vpc_id"), get_str(p, "vpc_id"));
            if old != new {
                if let Some(vpc) = old {
                    detach_igw(c, &id, &vpc).await?;
                }
                if let Some(vpc) = new {
                    attach_igw(c, &id, &vpc).await?;
                }
            }
        }
        "aws_route_table" => set_routes(c, &id, &get(prior, "route"), &get(p, "route")).await?,
        "aws_security_group" => set_rules(c, &id, prior, p).await?,
        _ => {}
    }
    if get(p, "tags_all").is_wholly_known() && get(p, "tags_all").as_map().is_some() {
        c.retag(&id, &string_map(&get(prior, "tags_all")), &string_map(&get(p, "tags_all"))).await?;
    }
    Ok(())
}

async fn delete(c: &Ec2, t: &str, prior: &Value) -> Result<(), ProviderError> {
    let id = id_of(prior)?;
    // EC2 refuses to delete what something still uses (an instance still shutting down
    // in a subnet); those are tried again for a while, as AWS asks.
    let limit = Duration::from_secs(300);
    let result = wait_for(&format!("{t} {id} to be deleted"), limit, || async {
        let r = match t {
            "aws_vpc" => sent("DeleteVpc", c.client.delete_vpc().vpc_id(&id).send()).await,
            "aws_subnet" => sent("DeleteSubnet", c.client.delete_subnet().subnet_id(&id).send()).await,
            "aws_internet_gateway" => {
                if let Some(vpc) = get_str(prior, "vpc_id") {
                    match detach_igw(c, &id, &vpc).await {
                        Err(e) if e.code.as_deref() != Some("Gateway.NotAttached") && !is_not_found(&e) => {
                            return retry_on_dependency(Err(e));
                        }
                        _ => {}
                    }
                }
                sent("DeleteInternetGateway", c.client.delete_internet_gateway().internet_gateway_id(&id).send()).await
            }
            "aws_route_table" => {
                sent("DeleteRouteTable", c.client.delete_route_table().route_table_id(&id).send()).await
            }
            "aws_route_table_association" => {
                sent("DisassociateRouteTable", c.client.disassociate_route_table().association_id(&id).send()).await
            }
            "aws_security_group" => {
                sent("DeleteSecurityGroup", c.client.delete_security_group().group_id(&id).send()).await
            }
            "aws_key_pair" => sent("DeleteKeyPair", c.client.delete_key_pair().key_name(&id).send()).await,
            _ => Ok(()),
        };
        retry_on_dependency(r)
    })
    .await;
    match result {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

fn retry_on_dependency(r: Result<(), ProviderError>) -> Result<Option<()>, ProviderError> {
    match r {
        Ok(()) => Ok(Some(())),
        Err(e) if e.code.as_deref() == Some("DependencyViolation") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn set_vpc_dns(c: &Ec2, id: &str, prior: &Value, p: &Value) -> Result<(), ProviderError> {
    for (attr, name) in [
        ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
        ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
    ] {
        let want = get_bool(p, attr);
        if want.is_none() || want == get_bool(prior, attr) {
            continue;
        }
        let value = AttributeBooleanValue::builder().value(want == Some(true)).build();
        let call = c.client.modify_vpc_attribute().vpc_id(id);
        let call = match name {
            VpcAttributeName::EnableDnsSupport => call.enable_dns_support(value),
            _ => call.enable_dns_hostnames(value),
        };
        call.send().await.map_err(|e| aws_error("ModifyVpcAttribute", e))?;
    }
    Ok(())
}

async fn set_public_ip(c: &Ec2, id: &str, on: bool) -> Result<(), ProviderError> {
    sent(
        "ModifySubnetAttribute",
        c.client
            .modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
            .send(),
    )
    .await
}

async fn attach_igw(c: &Ec2, id: &str, vpc: &str) -> Result<(), ProviderError> {
    sent("AttachInternetGateway", c.client.attach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send()).await
}

async fn detach_igw(c: &Ec2, id: &str, vpc: &str) -> Result<(), ProviderError> {
    sent("DetachInternetGateway", c.client.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send()).await
}

fn routes_of(v: &Value) -> Vec<(String, String)> {
    v.as_seq()
        .map(|rs| {
            rs.iter()
                .map(|r| (get_str(r, "cidr_block").unwrap_or_default(), get_str(r, "gateway_id").unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

async fn set_routes(c: &Ec2, id: &str, old: &Value, new: &Value) -> Result<(), ProviderError> {
    let (old, new) = (routes_of(old), routes_of(new));
    for (cidr, _) in old.iter().filter(|r| !new.contains(r)) {
        c.client
            .delete_route()
            .route_table_id(id)
            .destination_cidr_block(cidr)
            .send()
            .await
            .map_err(|e| aws_error("DeleteRoute", e))?;
    }
    for (cidr, gw) in new.iter().filter(|r| !old.contains(r)) {
        let mut call = c.client.create_route().route_table_id(id).destination_cidr_block(cidr);
        if !gw.is_empty() {
            call = call.gateway_id(gw);
        }
        call.send().await.map_err(|e| aws_error("CreateRoute", e))?;
    }
    Ok(())
}

fn permission(rule: &Value, own_id: &str) -> IpPermission {
    let mut b = IpPermission::builder()
        .ip_protocol(get_str(rule, "protocol").unwrap_or_else(|| "-1".into()))
        .from_port(get_i64(rule, "from_port").unwrap_or(0) as i32)
        .to_port(get_i64(rule, "to_port").unwrap_or(0) as i32);
    let description = get_str(rule, "description").filter(|d| !d.is_empty());
    for cidr in get_strings(rule, "cidr_blocks") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(cidr).set_description(description.clone()).build());
    }
    let mut groups = get_strings(rule, "security_groups");
    if get_bool(rule, "self") == Some(true) {
        groups.push(own_id.to_string());
    }
    for g in groups {
        b = b.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(description.clone()).build());
    }
    b.build()
}

async fn set_rules(c: &Ec2, id: &str, prior: &Value, p: &Value) -> Result<(), ProviderError> {
    for dir in ["ingress", "egress"] {
        let old = get(prior, dir).as_seq().map(<[Value]>::to_vec).unwrap_or_default();
        let new = get(p, dir).as_seq().map(<[Value]>::to_vec).unwrap_or_default();
        let revoke: Vec<IpPermission> = old.iter().filter(|r| !new.contains(r)).map(|r| permission(r, id)).collect();
        let grant: Vec<IpPermission> = new.iter().filter(|r| !old.contains(r)).map(|r| permission(r, id)).collect();
        if !revoke.is_empty() {
            let r = if dir == "ingress" {
                sent(
                    "RevokeSecurityGroupIngress",
                    c.client.revoke_security_group_ingress().group_id(id).set_ip_permissions(Some(revoke)).send(),
                )
                .await
            } else {
                sent(
                    "RevokeSecurityGroupEgress",
                    c.client.revoke_security_group_egress().group_id(id).set_ip_permissions(Some(revoke)).send(),
                )
                .await
            };
            r?;
        }
        if !grant.is_empty() {
            let r = if dir == "ingress" {
                sent(
                    "AuthorizeSecurityGroupIngress",
                    c.client.authorize_security_group_ingress().group_id(id).set_ip_permissions(Some(grant)).send(),
                )
                .await
            } else {
                sent(
                    "AuthorizeSecurityGroupEgress",
                    c.client.authorize_security_group_egress().group_id(id).set_ip_permissions(Some(grant)).send(),
                )
                .await
            };
            r?;
        }
    }
    Ok(())
}

fn tag_pair(c: &Ec2, tags: &[aws_sdk_ec2::types::Tag], base: &Value) -> [(&'static str, Value); 2] {
    let (t, all) = c.tag_attrs(&tags_map(tags), base);
    [("tags", t), ("tags_all", all)]
}

fn object(pairs: Vec<(&'static str, Value)>) -> Value {
    Value::object(pairs)
}

async fn read_vpc(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let out = found(c.client.describe_vpcs().vpc_ids(id).send().await.map_err(|e| aws_error("DescribeVpcs", e)))?;
    let Some(vpc) = out.as_ref().and_then(|o| o.vpcs().first()) else { return Ok(None) };
    let mut dns = Vec::new();
    for (attr, name) in [
        ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
        ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
    ] {
        let out = c
            .client
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name.clone())
            .send()
            .await
            .map_err(|e| aws_error("DescribeVpcAttribute", e))?;
        let v = match name {
            VpcAttributeName::EnableDnsSupport => out.enable_dns_support().and_then(|a| a.value()),
            _ => out.enable_dns_hostnames().and_then(|a| a.value()),
        };
        dns.push((attr, Value::Bool(v.unwrap_or(false))));
    }
    let main_rt = c
        .client
        .describe_route_tables()
        .filters(filter("vpc-id", id))
        .filters(filter("association.main", "true"))
        .send()
        .await
        .map_err(|e| aws_error("DescribeRouteTables", e))?;
    let default_sg = c
        .client
        .describe_security_groups()
        .filters(filter("vpc-id", id))
        .filters(filter("group-name", "default"))
        .send()
        .await
        .map_err(|e| aws_error("DescribeSecurityGroups", e))?;
    let mut pairs = vec![
        ("id", Value::from(id)),
        ("arn", arn(c, vpc.owner_id(), "vpc", id)),
        ("cidr_block", opt_str(vpc.cidr_block())),
        ("instance_tenancy", opt_str(vpc.instance_tenancy().map(|t| t.as_str()))),
        ("main_route_table_id", opt_str(main_rt.route_tables().first().and_then(RouteTable::route_table_id))),
        ("default_security_group_id", opt_str(default_sg.security_groups().first().and_then(SecurityGroup::group_id))),
        ("owner_id", opt_str(vpc.owner_id())),
    ];
    pairs.extend(dns);
    pairs.extend(tag_pair(c, vpc.tags(), base));
    Ok(Some(object(pairs)))
}

async fn read_subnet(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let out =
        found(c.client.describe_subnets().subnet_ids(id).send().await.map_err(|e| aws_error("DescribeSubnets", e)))?;
    let Some(s) = out.as_ref().and_then(|o| o.subnets().first()) else { return Ok(None) };
    let mut pairs = vec![
        ("id", Value::from(id)),
        ("arn", s.subnet_arn().map_or_else(|| arn(c, s.owner_id(), "subnet", id), Value::from)),
        ("vpc_id", opt_str(s.vpc_id())),
        ("cidr_block", opt_str(s.cidr_block())),
        ("availability_zone", opt_str(s.availability_zone())),
        ("map_public_ip_on_launch", Value::Bool(s.map_public_ip_on_launch().unwrap_or(false))),
    ];
    pairs.extend(tag_pair(c, s.tags(), base));
    Ok(Some(object(pairs)))
}

async fn read_igw(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let out = found(
        c.client
            .describe_internet_gateways()
            .internet_gateway_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeInternetGateways", e)),
    )?;
    let Some(g) = out.as_ref().and_then(|o| o.internet_gateways().first()) else { return Ok(None) };
    let mut pairs = vec![
        ("id", Value::from(id)),
        ("arn", arn(c, g.owner_id(), "internet-gateway", id)),
        ("vpc_id", opt_str(g.attachments().first().and_then(|a| a.vpc_id()))),
    ];
    pairs.extend(tag_pair(c, g.tags(), base));
    Ok(Some(object(pairs)))
}

async fn describe_route_table(c: &Ec2, id: &str) -> Result<Option<RouteTable>, ProviderError> {
    let out = found(
        c.client
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeRouteTables", e)),
    )?;
    Ok(out.and_then(|o| o.route_tables().first().cloned()))
}

async fn read_route_table(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(rt) = describe_route_table(c, id).await? else { return Ok(None) };
    let routes = rt
        .routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .filter_map(|r| {
            Some(Value::object([
                ("cidr_block", Value::from(r.destination_cidr_block()?)),
                ("gateway_id", Value::from(r.gateway_id().unwrap_or_default())),
            ]))
        })
        .collect();
    let mut pairs = vec![
        ("id", Value::from(id)),
        ("arn", arn(c, rt.owner_id(), "route-table", id)),
        ("vpc_id", opt_str(rt.vpc_id())),
        ("route", Value::set(routes)),
    ];
    pairs.extend(tag_pair(c, rt.tags(), base));
    Ok(Some(object(pairs)))
}

async fn read_association(c: &Ec2, id: &str) -> Result<Option<Value>, ProviderError> {
    let out = c
        .client
        .describe_route_tables()
        .filters(filter("association.route-table-association-id", id))
        .send()
        .await
        .map_err(|e| aws_error("DescribeRouteTables", e))?;
    let assoc =
        out.route_tables().iter().flat_map(|rt| rt.associations()).find(|a| a.route_table_association_id() == Some(id));
    Ok(assoc.map(|a| {
        Value::object([
            ("id", Value::from(id)),
            ("subnet_id", opt_str(a.subnet_id())),
            ("route_table_id", opt_str(a.route_table_id())),
        ])
    }))
}

fn rules_of(perms: &[IpPermission], own_id: &str) -> Value {
    let rules = perms
        .iter()
        .map(|p| {
            let cidrs: Vec<Value> = p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).map(Value::from).collect();
            let pairs = p.user_id_group_pairs();
            let is_self = pairs.iter().any(|g| g.group_id() == Some(own_id));
            let groups: Vec<Value> =
                pairs.iter().filter_map(|g| g.group_id()).filter(|g| *g != own_id).map(Value::from).collect();
            let description = p
                .ip_ranges()
                .iter()
                .find_map(|r| r.description())
                .or_else(|| pairs.iter().find_map(|g| g.description()))
                .unwrap_or_default();
            Value::object([
                ("from_port", Value::Number(Number::from_i64(p.from_port().unwrap_or(0).into()))),
                ("to_port", Value::Number(Number::from_i64(p.to_port().unwrap_or(0).into()))),
                ("protocol", Value::from(protocol_name(p.ip_protocol().unwrap_or("-1")))),
                ("cidr_blocks", Value::List(cidrs)),
                ("security_groups", Value::set(groups)),
                ("self", Value::Bool(is_self)),
                ("description", Value::from(description)),
            ])
        })
        .collect();
    Value::set(rules)
}

async fn read_sg(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let out = found(
        c.client
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeSecurityGroups", e)),
    )?;
    let Some(g) = out.as_ref().and_then(|o| o.security_groups().first()) else { return Ok(None) };
    let mut pairs = vec![
        ("id", Value::from(id)),
        ("arn", g.security_group_arn().map_or_else(|| arn(c, g.owner_id(), "security-group", id), Value::from)),
        ("name", opt_str(g.group_name())),
        ("description", opt_str(g.description())),
        ("vpc_id", opt_str(g.vpc_id())),
        ("owner_id", opt_str(g.owner_id())),
        ("revoke_rules_on_delete", get(base, "revoke_rules_on_delete")),
        ("ingress", rules_of(g.ip_permissions(), id)),
        ("egress", rules_of(g.ip_permissions_egress(), id)),
    ];
    pairs.extend(tag_pair(c, g.tags(), base));
    Ok(Some(object(pairs)))
}

async fn read_key_pair(c: &Ec2, id: &str, base: &Value) -> Result<Option<Value>, ProviderError> {
    let out =
        found(c.client.describe_key_pairs().key_names(id).send().await.map_err(|e| aws_error("DescribeKeyPairs", e)))?;
    let Some(k) = out.as_ref().and_then(|o| o.key_pairs().first()) else { return Ok(None) };
    let key_pair_id = k.key_pair_id().unwrap_or_default();
    let mut pairs = vec![
        ("id", Value::from(id)),
        ("arn", arn(c, None, "key-pair", id)),
        ("key_name", opt_str(k.key_name())),
        ("key_pair_id", Value::from(key_pair_id)),
        ("fingerprint", opt_str(k.key_fingerprint())),
        // EC2 does not give the public key back as it was imported; the recorded one stays.
        ("public_key", get(base, "public_key")),
    ];
    pairs.extend(tag_pair(c, k.tags(), base));
    Ok(Some(object(pairs)))
}
