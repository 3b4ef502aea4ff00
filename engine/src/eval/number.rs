//! Numbers as Terraform has them: binary floating point with 512 bits of mantissa,
//! rounded to nearest even after every operation, printed as the shortest decimal that
//! reads back to the same value.
//!
//! PLACEHOLDER: backed by f64 until the 512-bit implementation lands; the API is final.

use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Debug)]
pub struct Number(f64);

impl Number {
    pub fn from_i64(i: i64) -> Number {
        Number(i as f64)
    }
    pub fn from_u64(i: u64) -> Number {
        Number(i as f64)
    }
    /// `None` for NaN.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() { None } else { Some(Number(f)) }
    }
    /// Parses a decimal literal as HCL/JSON write it (`12`, `-1.5`, `1e3`).
    pub fn parse(s: &str) -> Option<Number> {
        s.trim().parse::<f64>().ok().filter(|f| !f.is_nan()).map(Number)
    }
    pub fn zero() -> Number {
        Number(0.0)
    }
    /// The exact integer value if it is an integer within i64.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() && self.0.abs() < 9.2e18 { Some(self.0 as i64) } else { None }
    }
    /// Nearest f64.
    pub fn to_f64(&self) -> f64 {
        self.0
    }
    pub fn is_integer(&self) -> bool {
        self.0.is_finite() && self.0.fract() == 0.0
    }
    pub fn is_infinite(&self) -> bool {
        self.0.is_infinite()
    }
    pub fn is_negative(&self) -> bool {
        self.0 < 0.0
    }
    pub fn add(&self, o: &Number) -> Number {
        Number(self.0 + o.0)
    }
    pub fn sub(&self, o: &Number) -> Number {
        Number(self.0 - o.0)
    }
    pub fn mul(&self, o: &Number) -> Number {
        Number(self.0 * o.0)
    }
    /// `None` when dividing by zero.
    pub fn div(&self, o: &Number) -> Option<Number> {
        if o.0 == 0.0 { None } else { Some(Number(self.0 / o.0)) }
    }
    /// Remainder with the sign of the dividend, as Terraform's `%`; `None` for zero divisor.
    pub fn rem(&self, o: &Number) -> Option<Number> {
        if o.0 == 0.0 { None } else { Some(Number(self.0 % o.0)) }
    }
    pub fn neg(&self) -> Number {
        Number(-self.0)
    }
    pub fn abs(&self) -> Number {
        Number(self.0.abs())
    }
    pub fn floor(&self) -> Number {
        Number(self.0.floor())
    }
    pub fn ceil(&self) -> Number {
        Number(self.0.ceil())
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
        self.0.total_cmp(&o.0)
    }
}
impl std::hash::Hash for Number {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.to_string().hash(h)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_infinite() {
            return write!(f, "{}", if self.0 > 0.0 { "+Inf" } else { "-Inf" });
        }
        write!(f, "{}", self.0)
    }
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
