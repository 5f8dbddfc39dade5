"""oracle/course/loading"""
