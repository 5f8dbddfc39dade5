"""oracle/course/grading"""
