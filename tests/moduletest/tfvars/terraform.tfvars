a = "root-a"
b = "root-b"
