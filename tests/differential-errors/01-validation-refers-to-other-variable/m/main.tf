variable "min" {
  type = number
}

variable "max" {
  type = number

  validation {
    condition     = var.max >= var.min
    error_message = "max (${var.max}) must not be less than min (${var.min})."
  }
}

output "range" {
  value = [var.min, var.max]
}
