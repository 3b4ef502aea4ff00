variables {
  name = "abc"
}
run "plan_it" {
  command = plan
  assert {
    condition     = length(terraform_data.x) == 2
    error_message = "two"
  }
  assert {
    condition     = local.upper == "ABC"
    error_message = "upper"
  }
}
run "apply_it" {
  assert {
    condition     = output.names[0] == "abc-0"
    error_message = "first name wrong: ${output.names[0]}"
  }
}
run "failing" {
  variables {
    n = 1
  }
  assert {
    condition     = length(output.names) == 3
    error_message = "want three, got ${length(output.names)}"
  }
}
run "after" {
  variables {
    name = run.apply_it.upper
  }
  assert {
    condition     = output.upper == "ABC"
    error_message = "after"
  }
}
run "bad_name" {
  command = plan
  variables { name = "a" }
  expect_failures = [var.name]
}
run "bigcheck" {
  variables { n = 6 }
  expect_failures = [check.c]
}
run "bigcheck2" {
  command = plan
  variables { n = 6 }
}
run "unknown" {
  command = plan
  variables { n = 1 }
  assert {
    condition = terraform_data.x[0].output == "x"
    error_message = "unk"
  }
}
