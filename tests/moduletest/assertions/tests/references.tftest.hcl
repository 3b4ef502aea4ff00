run "first" {
  command = plan
}
run "bad_message" {
  command = plan
  assert {
    condition     = output.shout == "HELLO"
    error_message = "msg ${output.nothing}"
  }
}
