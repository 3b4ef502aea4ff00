//! Built-in functions: time (`timestamp`, `formatdate`, `timeadd`, `timecmp`).

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike, Utc};

use super::args::string;
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;

pub(super) fn register(r: &mut Registry) {
    r.add("timestamp", Arity::Exactly(0), |_, _| {
        Ok(Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)))
    });
    r.add("plantimestamp", Arity::Exactly(0), |_, _| {
        Ok(Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)))
    });
    r.add("formatdate", Arity::Exactly(2), formatdate);
    r.add("timeadd", Arity::Exactly(2), timeadd);
    r.add("timecmp", Arity::Exactly(2), |_, a| {
        let (x, y) = (parse(&string(&a, 0)?, 0)?, parse(&string(&a, 1)?, 1)?);
        Ok(Value::from(match x.cmp(&y) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }))
    });
}

fn parse(s: &str, arg: usize) -> Result<DateTime<FixedOffset>, FunctionError> {
    DateTime::parse_from_rfc3339(s).map_err(|_| FunctionError::at(arg, format!("not a valid RFC3339 timestamp: {s:?}")))
}

fn format_rfc3339(t: &DateTime<FixedOffset>) -> String {
    if t.offset().local_minus_utc() == 0 {
        t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true)
    } else {
        t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

/// Go duration strings: `1h30m`, `-10s`, `1.5h`, `300ms`.
fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += n * scale;
        rest = &rest[unit_end..];
    }
    let d = chrono::Duration::nanoseconds(nanos.round() as i64);
    Some(if neg { -d } else { d })
}

fn timeadd(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let t = parse(&string(&a, 0)?, 0)?;
    let d = string(&a, 1)?;
    let d = parse_duration(&d).ok_or_else(|| FunctionError::at(1, format!("invalid duration {d:?}")))?;
    Ok(Value::String(format_rfc3339(&(t + d))))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn formatdate(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let spec = string(&a, 0)?;
    let t = parse(&string(&a, 1)?, 1)?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // `''` is a quote, alone or inside a quoted literal (`'o''clock'`).
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(FunctionError::at(0, "unterminated literal '")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        out.push(*ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        let token: String = std::iter::repeat_n(c, run).collect();
        let h12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let text = match token.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year() % 100),
            "MMMM" => MONTHS[t.month0() as usize].to_string(),
            "MMM" => MONTHS[t.month0() as usize][..3].to_string(),
            "MM" => format!("{:02}", t.month()),
            "M" => t.month().to_string(),
            "DD" => format!("{:02}", t.day()),
            "D" => t.day().to_string(),
            "EEEE" => DAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            "EEE" => DAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => t.hour().to_string(),
            "HH" => format!("{h12:02}"),
            "H" => h12.to_string(),
            "AA" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => t.minute().to_string(),
            "ss" => format!("{:02}", t.second()),
            "s" => t.second().to_string(),
            "ZZZZZ" => t.format("%:z").to_string(),
            "ZZZZ" => t.format("%z").to_string(),
            "ZZZ" => {
                if t.offset().local_minus_utc() == 0 {
                    "UTC".to_string()
                } else {
                    t.format("%z").to_string()
                }
            }
            "Z" => {
                if t.offset().local_minus_utc() == 0 {
                    "Z".to_string()
                } else {
                    t.format("%:z").to_string()
                }
            }
            other => {
                return Err(FunctionError::at(
                    0,
                    format!("invalid date format verb {other:?}: unrecognized format sequence"),
                ));
            }
        };
        out.push_str(&text);
        i += run;
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings are what Terraform 1.11's console gives.
    #[test]
    fn formatdate_and_timeadd_match_terraform() {
        let ctx = FunctionContext { module_dir: std::path::Path::new(".") };
        assert_eq!(
            formatdate(&ctx, vec!["DD MMM YYYY hh:mm ZZZ".into(), "2018-01-02T23:12:01Z".into()]).unwrap(),
            Value::from("02 Jan 2018 23:12 UTC")
        );
        assert_eq!(
            formatdate(&ctx, vec!["EEEE, MMMM D, YYYY h:mm:ss AA".into(), "2018-01-02T23:12:01-08:00".into()]).unwrap(),
            Value::from("Tuesday, January 2, 2018 23:12:01 PM")
        );
        assert_eq!(
            timeadd(&ctx, vec!["2017-11-22T00:00:00Z".into(), "-1h10m".into()]).unwrap(),
            Value::from("2017-11-21T22:50:00Z")
        );
    }
}
