override_resource {
  target = terraform_data.other
  values = {
    id = "fixed"
  }
}
run "overridden" {
  assert {
    condition     = output.other_id == "fixed"
    error_message = "other_id: ${output.other_id}"
  }
  assert {
    condition     = length(output.ids[0]) == 36
    error_message = "the rest is real: ${output.ids[0]}"
  }
}
run "at_plan" {
  command = plan
  variables {
    n = 1
  }
  override_resource {
    target          = terraform_data.m
    override_during = plan
    values = {
      id = "planned"
    }
  }
  assert {
    condition     = output.other_id == "fixed"
    error_message = "kept from the apply"
  }
}
run "generated" {
  override_resource {
    target = terraform_data.m
  }
  variables {
    n = 3
  }
  assert {
    condition     = length(output.ids[2]) == 8
    error_message = "a generated id: ${output.ids[2]}"
  }
}
