"""Steering: the monthly sales meeting, the goal conversation and coaching, run in the product."""
