run "root_values" {
  command = plan
  assert {
    condition     = output.ab == "root-a/root-b"
    error_message = "ab: ${output.ab}"
  }
}
