variables {
  a = "x"
}
run "refers_to_nothing" {
  command = plan
  variables {
    b = run.nowhere.joined
  }
}
