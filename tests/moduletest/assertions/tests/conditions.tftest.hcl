run "string_true" {
  command = plan
  assert {
    condition     = var.word == "hello" ? "true" : "false"
    error_message = "a string that converts"
  }
}
run "null_condition" {
  command = plan
  assert {
    condition     = output.nothing
    error_message = "null"
  }
}
run "after_null" {
  command = plan
}
