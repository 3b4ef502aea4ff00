output "x" {
  value = coalesce({}, "hello")
}
