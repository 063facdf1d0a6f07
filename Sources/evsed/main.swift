print("evsed")
