//! Refresh and diff: what apply will change.
