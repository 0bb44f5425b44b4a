"""Online payment of fees: the VNPay 2.1.0 protocol and a mock gateway that speaks it."""
