run "nothing_fails" {
  command         = plan
  expect_failures = [var.name, output.out]
}
run "after_missing" {
  command = plan
}
