run "early" {
  command = plan
  assert {
    condition     = run.late.shout == "HELLO"
    error_message = "not yet"
  }
}
run "late" {
  command = plan
}
