output "x" {
  value = setproduct(["a"])
}
