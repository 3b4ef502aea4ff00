//! Numbers as Terraform has them: arbitrary precision, so `12345678901234567890 * 10` is
//! exact and `10 / 3` prints the same 155 digits Terraform prints.
//!
//! Small integers (the common case) are an inline `i64`; anything else is an exact
//! rational. Arithmetic is exact; a result whose decimal expansion does not end is printed
//! as Terraform prints it: rounded to a 512-bit binary float, then the shortest decimal that
//! reads back to that float.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// Bits of mantissa Terraform keeps (Go `big.Float` with precision 512).
const PRECISION_BITS: u64 = 512;

#[derive(Clone, Debug)]
pub struct Number(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Int(i64),
    /// Never an integer that fits `i64` (those are `Int`), so equal values have one form.
    Big(Box<BigRational>),
    /// A result computed in float64 (`pow`, `log`), printed as float64 prints.
    Float(f64),
}

/// A number from an exact value: rounded to 512 bits of mantissa as Terraform rounds
/// every result, kept inline when it is a small integer.
fn rational(r: BigRational) -> Number {
    let r = round_to_precision(r);
    if r.is_integer()
        && let Some(i) = r.numer().to_i64()
    {
        return Number(Repr::Int(i));
    }
    Number(Repr::Big(Box::new(r)))
}

impl Number {
    pub fn from_i64(i: i64) -> Number {
        Number(Repr::Int(i))
    }

    pub fn from_u64(i: u64) -> Number {
        match i64::try_from(i) {
            Ok(i) => Number(Repr::Int(i)),
            Err(_) => rational(BigRational::from_integer(BigInt::from(i))),
        }
    }

    /// `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        if f.fract() == 0.0 && f.abs() < 9.0e18 {
            return Some(Number(Repr::Int(f as i64)));
        }
        Some(Number(Repr::Float(f)))
    }

    /// Parses a decimal literal as HCL and JSON write it (`12`, `-1.5`, `1e3`, `.5`).
    pub fn parse(s: &str) -> Option<Number> {
        let s = s.trim();
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number(Repr::Int(i)));
        }
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
            None => (body, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.chars().chain(frac_part.chars()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits: BigInt = format!("{int_part}{frac_part}").parse().unwrap_or_default();
        let scale = exp - frac_part.len() as i64;
        if scale.abs() > 100_000 {
            return None;
        }
        let ten = BigInt::from(10);
        let mut r = if scale >= 0 {
            BigRational::from_integer(digits * num_traits::pow(ten, scale as usize))
        } else {
            BigRational::new(digits, num_traits::pow(ten, (-scale) as usize))
        };
        if neg {
            r = -r;
        }
        Some(rational(r))
    }

    pub fn zero() -> Number {
        Number(Repr::Int(0))
    }

    fn to_rational(&self) -> BigRational {
        match &self.0 {
            Repr::Int(i) => BigRational::from_integer(BigInt::from(*i)),
            Repr::Big(r) => (**r).clone(),
            Repr::Float(f) => BigRational::from_float(*f).unwrap_or_default(),
        }
    }

    /// The integer value if it is a whole number within i64.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(i) => Some(*i),
            Repr::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(*f as i64),
            _ => None,
        }
    }

    /// Nearest f64.
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(i) => *i as f64,
            Repr::Float(f) => *f,
            Repr::Big(r) => r.to_f64().unwrap_or(f64::NAN),
        }
    }

    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int(_) => true,
            Repr::Big(r) => r.is_integer(),
            Repr::Float(f) => f.fract() == 0.0,
        }
    }

    pub fn is_infinite(&self) -> bool {
        false
    }

    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Int(i) => *i < 0,
            Repr::Big(r) => r.is_negative(),
            Repr::Float(f) => *f < 0.0,
        }
    }

    fn binary(
        &self,
        o: &Number,
        small: fn(i64, i64) -> Option<i64>,
        big: fn(BigRational, BigRational) -> BigRational,
    ) -> Number {
        if let (Repr::Int(a), Repr::Int(b)) = (&self.0, &o.0)
            && let Some(r) = small(*a, *b)
        {
            return Number(Repr::Int(r));
        }
        rational(big(self.to_rational(), o.to_rational()))
    }

    pub fn add(&self, o: &Number) -> Number {
        self.binary(o, i64::checked_add, |a, b| a + b)
    }

    pub fn sub(&self, o: &Number) -> Number {
        self.binary(o, i64::checked_sub, |a, b| a - b)
    }

    pub fn mul(&self, o: &Number) -> Number {
        self.binary(o, i64::checked_mul, |a, b| a * b)
    }

    /// `None` when dividing by zero.
    pub fn div(&self, o: &Number) -> Option<Number> {
        if o.is_zero() {
            return None;
        }
        if let (Repr::Int(a), Repr::Int(b)) = (&self.0, &o.0)
            && *b != 0
            && a % b == 0
            && let Some(q) = a.checked_div(*b)
        {
            return Some(Number(Repr::Int(q)));
        }
        Some(rational(self.to_rational() / o.to_rational()))
    }

    /// Remainder with the sign of the dividend (`-7 % 3` is `-1`); `None` for zero divisor.
    pub fn rem(&self, o: &Number) -> Option<Number> {
        if o.is_zero() {
            return None;
        }
        if let (Repr::Int(a), Repr::Int(b)) = (&self.0, &o.0) {
            return a.checked_rem(*b).map(|r| Number(Repr::Int(r)));
        }
        let (a, b) = (self.to_rational(), o.to_rational());
        let q = (&a / &b).trunc();
        Some(rational(a - b * q))
    }

    pub fn is_zero(&self) -> bool {
        match &self.0 {
            Repr::Int(i) => *i == 0,
            Repr::Big(r) => r.is_zero(),
            Repr::Float(f) => *f == 0.0,
        }
    }

    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Int(i) => i.checked_neg().map_or_else(|| rational(-self.to_rational()), |n| Number(Repr::Int(n))),
            Repr::Float(f) => Number(Repr::Float(-f)),
            Repr::Big(r) => rational(-(**r).clone()),
        }
    }

    pub fn abs(&self) -> Number {
        if self.is_negative() { self.neg() } else { self.clone() }
    }

    pub fn floor(&self) -> Number {
        match &self.0 {
            Repr::Int(_) => self.clone(),
            _ => rational(self.to_rational().floor()),
        }
    }

    pub fn ceil(&self) -> Number {
        match &self.0 {
            Repr::Int(_) => self.clone(),
            _ => rational(self.to_rational().ceil()),
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, o: &Number) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Number {}

impl PartialOrd for Number {
    fn partial_cmp(&self, o: &Number) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Number {
    fn cmp(&self, o: &Number) -> Ordering {
        match (&self.0, &o.0) {
            (Repr::Int(a), Repr::Int(b)) => a.cmp(b),
            _ => self.to_rational().cmp(&o.to_rational()),
        }
    }
}

impl std::hash::Hash for Number {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match &self.0 {
            Repr::Int(i) => i.hash(h),
            _ => {
                let r = self.to_rational();
                r.numer().hash(h);
                r.denom().hash(h);
            }
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Float(x) => write!(f, "{}", float_text(*x)),
            Repr::Big(r) => f.write_str(&rational_text(r)),
        }
    }
}

/// A float64 in plain decimal (no exponent), shortest digits.
fn float_text(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('e') {
        // Rust prints very large or small floats with an exponent; expand them.
        BigRational::from_float(x).map_or(s, |r| rational_text(&r))
    } else {
        s
    }
}

/// Terraform's rendering: integers in full, anything else as the shortest decimal that
/// reads back to the same 512-bit float.
fn rational_text(r: &BigRational) -> String {
    if r.is_integer() {
        return r.numer().to_string();
    }
    let body = shortest_512(&r.abs());
    if r.is_negative() { format!("-{body}") } else { body }
}

/// Binary exponent `e` with `2^e <= a < 2^(e+1)`, for positive `a`.
fn binary_exponent(a: &BigRational) -> i64 {
    let mut e = (a.numer().bits() as i64) - (a.denom().bits() as i64);
    while *a < pow2(e) {
        e -= 1;
    }
    while *a >= pow2(e + 1) {
        e += 1;
    }
    e
}

/// Rounds to a float with a 512-bit mantissa, ties to even (Go's `big.Float` at
/// precision 512). Integers that fit are returned unchanged.
fn round_to_precision(r: BigRational) -> BigRational {
    if r.is_zero() || (r.is_integer() && r.numer().bits() <= PRECISION_BITS) {
        return r;
    }
    let neg = r.is_negative();
    let a = r.abs();
    let e = binary_exponent(&a);
    let mut shift = PRECISION_BITS as i64 - 1 - e;
    let mut m = round_half_even(&(&a * pow2(shift)));
    if m.bits() > PRECISION_BITS {
        m = round_half_even(&BigRational::new(m, BigInt::from(2)));
        shift -= 1;
    }
    let v = BigRational::from_integer(m) * pow2(-shift);
    if neg { -v } else { v }
}

/// Digits of `n / 10^scale` in plain notation, trailing zeros removed.
fn place_point(digits: &BigInt, scale: u64) -> String {
    let s = digits.to_string();
    let scale = scale as usize;
    let (int, frac) = if s.len() > scale {
        (s[..s.len() - scale].to_string(), s[s.len() - scale..].to_string())
    } else {
        ("0".to_string(), format!("{}{s}", "0".repeat(scale - s.len())))
    };
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { int } else { format!("{int}.{frac}") }
}

fn exact_decimal(a: &BigRational) -> String {
    let ten = BigInt::from(10);
    let mut scale = 0u64;
    let mut x = a.clone();
    while !x.is_integer() {
        x *= BigRational::from_integer(ten.clone());
        scale += 1;
    }
    place_point(&x.to_integer(), scale)
}

fn pow2(e: i64) -> BigRational {
    let two = BigInt::from(2);
    if e >= 0 {
        BigRational::from_integer(num_traits::pow(two, e as usize))
    } else {
        BigRational::new(BigInt::one(), num_traits::pow(two, (-e) as usize))
    }
}

fn pow10(e: i64) -> BigRational {
    let ten = BigInt::from(10);
    if e >= 0 {
        BigRational::from_integer(num_traits::pow(ten, e as usize))
    } else {
        BigRational::new(BigInt::one(), num_traits::pow(ten, (-e) as usize))
    }
}

/// Rounds to the nearest integer, ties to even.
fn round_half_even(x: &BigRational) -> BigInt {
    let floor = x.floor().to_integer();
    let frac = x - BigRational::from_integer(floor.clone());
    let half = BigRational::new(BigInt::one(), BigInt::from(2));
    match frac.cmp(&half) {
        Ordering::Less => floor,
        Ordering::Greater => floor + 1,
        Ordering::Equal if floor.is_even() => floor,
        Ordering::Equal => floor + 1,
    }
}

/// Terraform's rendering of a positive non-terminating rational: round it to a float with
/// a 512-bit mantissa (ties to even), then print the shortest decimal that lies within
/// half a unit in the last place of that float, as Go's `big.Float.Text('f', -1)` does.
fn shortest_512(a: &BigRational) -> String {
    let e = binary_exponent(a);
    let shift = PRECISION_BITS as i64 - 1 - e;
    let mut m = round_half_even(&(a * pow2(shift)));
    let mut shift = shift;
    if m.bits() > PRECISION_BITS {
        m >>= 1u32;
        shift -= 1;
    }
    let v = BigRational::from_integer(m.clone()) * pow2(-shift);
    let half_ulp = pow2(-shift - 1);
    let (lo, hi) = (&v - &half_ulp, &v + &half_ulp);
    let inclusive = m.is_even();
    // Decimal exponent of the leading digit.
    let mut d10 = (e as f64 * std::f64::consts::LOG10_2).floor() as i64;
    while v < pow10(d10) {
        d10 -= 1;
    }
    while v >= pow10(d10 + 1) {
        d10 += 1;
    }
    for digits in 1..=200i64 {
        let unit = pow10(d10 - digits + 1);
        let n = round_half_even(&(&v / &unit));
        let candidate = BigRational::from_integer(n.clone()) * &unit;
        let inside = if inclusive { candidate >= lo && candidate <= hi } else { candidate > lo && candidate < hi };
        if inside {
            let scale = -(d10 - digits + 1);
            return if scale > 0 {
                place_point(&n, scale as u64)
            } else {
                (n * num_traits::pow(BigInt::from(10), (-scale) as usize)).to_string()
            };
        }
    }
    exact_decimal(&v)
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::from_i64(i)
    }
}

impl From<usize> for Number {
    fn from(i: usize) -> Number {
        Number::from_u64(i as u64)
    }
}

impl From<BigInt> for Number {
    fn from(i: BigInt) -> Number {
        rational(BigRational::from_integer(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    // Expected texts are what Terraform 1.11 prints for the same expressions.
    #[test]
    fn prints_like_terraform() {
        assert_eq!(
            n("10").div(&n("3")).unwrap().to_string(),
            "3.3333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333332"
        );
        assert_eq!(
            n("2").div(&n("3")).unwrap().to_string(),
            "0.6666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666667"
        );
        assert_eq!(
            n("1").div(&n("7")).unwrap().to_string(),
            "0.14285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285714285"
        );
        assert_eq!(
            n("0.00001").div(&n("3")).unwrap().to_string(),
            "0.0000033333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333332"
        );
        assert_eq!(n("0.1").add(&n("0.2")).to_string(), "0.3");
        assert_eq!(n("12345678901234567890").mul(&n("10")).to_string(), "123456789012345678900");
        assert_eq!(n("1").div(&n("3")).unwrap().mul(&n("3")).to_string(), "1");
        assert_eq!(n("1e21").to_string(), "1000000000000000000000");
        assert_eq!(n("1.10").to_string(), "1.1");
        assert_eq!(n("123456789.123456789").to_string(), "123456789.123456789");
        assert_eq!(n("1").div(&n("1024")).unwrap().to_string(), "0.0009765625");
    }

    #[test]
    fn remainder_and_comparisons() {
        assert_eq!(n("-7").rem(&n("3")).unwrap(), n("-1"));
        assert_eq!(n("5.5").rem(&n("2")).unwrap(), n("1.5"));
        assert_eq!(n("1"), n("1.0"));
        assert!(n("-2") < n("-1.5"));
        assert_eq!(n("2.5").to_i64(), None);
        assert_eq!(n("3").to_i64(), Some(3));
        assert!(n("1").div(&n("0")).is_none());
        assert_eq!(n("-1.5").floor(), n("-2"));
        assert_eq!(n("1.2").ceil(), n("2"));
    }
}
