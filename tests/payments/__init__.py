"""Tests of the VNPay protocol and the mock gateway."""
