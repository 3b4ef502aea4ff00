region = "eu"
size = 2
