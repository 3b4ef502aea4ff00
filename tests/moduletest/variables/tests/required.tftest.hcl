run "missing_a" {
  command = plan
}
run "never" {
  command = plan
  variables {
    a = "x"
  }
}
