output "nothing" {
  value = tostring(null)
}
