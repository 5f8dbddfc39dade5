"""The courses: one package each, holding its targets, calling conventions, samplers and named bugs.

``oracle.course.registry`` imports every package here; none of the machinery names one.
"""
