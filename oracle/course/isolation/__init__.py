"""oracle/course/isolation"""
