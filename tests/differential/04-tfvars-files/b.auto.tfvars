size = 5
labels = { team = "data", env = "prod" }
