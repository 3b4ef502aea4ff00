run "create" {
}
run "target_only_a" {
  variables {
    v = "two"
  }
  plan_options {
    target = [terraform_data.a]
  }
  assert {
    condition     = output.a == "two"
    error_message = "a follows v: ${output.a}"
  }
}
run "replace_b" {
  variables {
    v = "two"
  }
  plan_options {
    replace = [terraform_data.b]
  }
  assert {
    condition     = output.b_id != run.create.b_id
    error_message = "b replaced"
  }
}
run "refresh_only" {
  variables {
    v = "three"
  }
  plan_options {
    mode = refresh-only
  }
  assert {
    condition     = output.a == "two"
    error_message = "nothing changes in refresh-only mode: ${output.a}"
  }
}
run "no_refresh_plan" {
  command = plan
  plan_options {
    refresh = false
  }
  assert {
    condition     = terraform_data.a.input == "one"
    error_message = "planned back to one"
  }
}
