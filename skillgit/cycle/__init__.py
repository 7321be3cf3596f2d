"""The cycle: the one governed entry point for automated skill change (`skillgit cycle`, `skillgit watch`).

lock → gates → evidence → decide → propose (builtin | command) → rules → eval gate → land.
"""
