b = "tests-b"
