//! Built-in functions: IP networks (`cidrhost`, `cidrnetmask`, `cidrsubnet`, `cidrsubnets`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::args::{int, string};
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;

pub(super) fn register(r: &mut Registry) {
    r.add("cidrhost", Arity::Exactly(2), cidrhost);
    r.add("cidrnetmask", Arity::Exactly(1), cidrnetmask);
    r.add("cidrsubnet", Arity::Exactly(3), cidrsubnet);
    r.add("cidrsubnets", Arity::AtLeast(1), cidrsubnets);
}

/// A network as (address bits, total bits, prefix length).
#[derive(Clone, Copy)]
struct Net {
    addr: u128,
    bits: u32,
    prefix: u32,
}

impl Net {
    fn parse(s: &str, arg: usize) -> Result<Net, FunctionError> {
        let bad = || FunctionError::at(arg, format!("invalid CIDR expression: invalid CIDR address: {s}"));
        let (ip, prefix) = s.split_once('/').ok_or_else(bad)?;
        let ip: IpAddr = ip.parse().map_err(|_| bad())?;
        let (addr, bits) = match ip {
            IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let prefix: u32 = prefix.parse().map_err(|_| bad())?;
        if prefix > bits {
            return Err(bad());
        }
        Ok(Net { addr: addr & mask(bits, prefix), bits, prefix })
    }

    fn ip(&self, addr: u128) -> String {
        if self.bits == 32 { Ipv4Addr::from(addr as u32).to_string() } else { Ipv6Addr::from(addr).to_string() }
    }

    fn subnet(&self, newbits: i64, num: i64) -> Result<Net, FunctionError> {
        let newbits = u32::try_from(newbits).map_err(|_| FunctionError::at(1, "newbits must not be negative"))?;
        let prefix = self.prefix + newbits;
        if prefix > self.bits {
            return Err(FunctionError::new(format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                self.prefix
            )));
        }
        let num = u128::try_from(num).map_err(|_| FunctionError::at(2, "netnum must not be negative"))?;
        if newbits < 128 && num >> newbits != 0 {
            return Err(FunctionError::new(format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {num}"
            )));
        }
        let shift = self.bits - prefix;
        let addr = self.addr | num.checked_shl(shift).unwrap_or(0);
        Ok(Net { addr, bits: self.bits, prefix })
    }
}

fn mask(bits: u32, prefix: u32) -> u128 {
    let all: u128 = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    let host = if prefix >= bits { 0 } else { all >> prefix };
    all & !host
}

fn cidrhost(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let net = Net::parse(&string(&a, 0)?, 0)?;
    let num = int(&a, 1)?;
    let host_bits = net.bits - net.prefix;
    let size: i128 = if host_bits >= 127 { i128::MAX } else { 1i128 << host_bits };
    let n = if num < 0 { size + num as i128 } else { num as i128 };
    if n < 0 || n >= size {
        return Err(FunctionError::at(
            1,
            format!("prefix of {} does not accommodate a host numbered {num}", net.prefix),
        ));
    }
    Ok(Value::String(net.ip(net.addr | n as u128)))
}

fn cidrnetmask(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let net = Net::parse(&string(&a, 0)?, 0)?;
    if net.bits != 32 {
        return Err(FunctionError::at(0, "only IPv4 networks have a netmask"));
    }
    Ok(Value::String(net.ip(mask(32, net.prefix))))
}

fn cidrsubnet(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let net = Net::parse(&string(&a, 0)?, 0)?;
    let sub = net.subnet(int(&a, 1)?, int(&a, 2)?)?;
    Ok(Value::String(format!("{}/{}", sub.ip(sub.addr), sub.prefix)))
}

fn cidrsubnets(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let net = Net::parse(&string(&a, 0)?, 0)?;
    let mut out = Vec::new();
    let mut next: u128 = net.addr;
    let end: u128 =
        net.addr | !mask(net.bits, net.prefix) & if net.bits == 128 { u128::MAX } else { (1u128 << net.bits) - 1 };
    for i in 1..a.len() {
        let newbits = u32::try_from(int(&a, i)?).map_err(|_| FunctionError::at(i, "must not be negative"))?;
        let prefix = net.prefix + newbits;
        if prefix > net.bits {
            return Err(FunctionError::at(
                i,
                format!(
                    "would extend prefix to {prefix} bits, which is too long for an IPv{} address",
                    if net.bits == 32 { 4 } else { 6 }
                ),
            ));
        }
        let size = 1u128.checked_shl(net.bits - prefix).unwrap_or(0);
        // Align up to the subnet size.
        let start = if size == 0 { next } else { next.div_ceil(size) * size };
        if start > end || start.checked_add(size.saturating_sub(1)).is_none_or(|last| last > end) {
            return Err(FunctionError::at(
                i,
                "not enough remaining address space for a subnet with a prefix of that length",
            ));
        }
        out.push(Value::String(format!("{}/{prefix}", net.ip(start))));
        next = start + size;
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(
        f: fn(&FunctionContext<'_>, Vec<Value>) -> Result<Value, FunctionError>,
        args: Vec<Value>,
    ) -> Result<Value, FunctionError> {
        f(&FunctionContext { module_dir: std::path::Path::new(".") }, args)
    }

    // Expected values are what Terraform 1.11's console gives.
    #[test]
    fn ipv4_and_ipv6_match_terraform() {
        assert_eq!(
            call(cidrsubnet, vec!["10.0.0.0/16".into(), 8.into(), 2.into()]).unwrap(),
            Value::from("10.0.2.0/24")
        );
        assert_eq!(call(cidrhost, vec!["10.0.0.0/24".into(), Value::from(-1)]).unwrap(), Value::from("10.0.0.255"));
        assert_eq!(call(cidrnetmask, vec!["10.0.0.0/12".into()]).unwrap(), Value::from("255.240.0.0"));
        assert_eq!(
            call(cidrsubnet, vec!["fd00::/56".into(), 8.into(), 3.into()]).unwrap(),
            Value::from("fd00:0:0:3::/64")
        );
        assert_eq!(call(cidrhost, vec!["fd00::/64".into(), 10.into()]).unwrap(), Value::from("fd00::a"));
        assert_eq!(
            call(cidrsubnets, vec!["10.0.0.0/16".into(), 4.into(), 4.into(), 8.into()]).unwrap(),
            Value::List(vec!["10.0.0.0/20".into(), "10.0.16.0/20".into(), "10.0.32.0/24".into()])
        );
        let e = call(cidrsubnet, vec!["10.0.0.0/8".into(), 30.into(), 1.into()]).unwrap_err();
        assert_eq!(e.message, "insufficient address space to extend prefix of 8 by 30");
        let e = call(cidrsubnet, vec!["10.0.0.0/8".into(), 8.into(), 256.into()]).unwrap_err();
        assert_eq!(e.message, "prefix extension of 8 does not accommodate a subnet numbered 256");
    }
}
