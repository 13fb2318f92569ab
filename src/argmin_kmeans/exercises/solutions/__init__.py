"""Worked solutions for teachers (one module per lesson). Students: try the exercise first."""
