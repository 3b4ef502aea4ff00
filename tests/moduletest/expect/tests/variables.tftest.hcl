run "plan_expected" {
  command = plan
  variables {
    name = "a"
  }
  expect_failures = [var.name]
}
run "apply_expected" {
  variables {
    name = "b"
  }
  expect_failures = [var.name]
}
run "fine_after" {
  assert {
    condition     = output.out == "valid"
    error_message = "out"
  }
}
