output "x" {
  value = tolist([1, true])
}
