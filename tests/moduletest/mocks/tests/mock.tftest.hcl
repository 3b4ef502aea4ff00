mock_provider "terraform" {
  mock_resource "terraform_data" {
    defaults = {
      id = "mocked"
    }
  }
}
run "apply_mocked" {
  assert {
    condition     = output.ids == ["mocked", "mocked"]
    error_message = "ids: ${jsonencode(output.ids)}"
  }
  assert {
    condition     = output.other_output == null
    error_message = "a mocked output of type any is null"
  }
}
run "plan_unknown" {
  command = plan
  variables {
    n = 3
  }
  assert {
    condition     = terraform_data.m[2].id == "mocked"
    error_message = "unknown at plan"
  }
}
