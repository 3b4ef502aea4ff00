run "output_plan" {
  command = plan
  variables {
    out_ok = false
  }
  expect_failures = [output.out]
}
run "resource_plan" {
  command = plan
  variables {
    res_ok = false
  }
  expect_failures = [terraform_data.r]
}
run "check_apply" {
  variables {
    check_ok = false
  }
  expect_failures = [check.chk]
  assert {
    condition     = output.out == "valid"
    error_message = "applied despite the check"
  }
}
run "check_plan" {
  command = plan
  variables {
    check_ok = false
  }
  expect_failures = [check.chk]
}
run "two_expected" {
  command = plan
  variables {
    res_ok   = false
    check_ok = false
  }
  expect_failures = [terraform_data.r, check.chk]
}
