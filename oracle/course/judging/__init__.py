"""oracle/course/judging"""
