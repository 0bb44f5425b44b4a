"""Payment providers, chosen by PAYMENT_PROVIDER (only "vnpay" so far: the real VNPay or the mock gateway)."""

from collections.abc import Mapping

from onestop.payments.providers.base import PaymentProvider


def provider_from_config(config: Mapping) -> PaymentProvider:
    name = config.get("PAYMENT_PROVIDER") or "vnpay"
    if name == "vnpay":
        from onestop.payments.providers.vnpay import VnpayProvider

        return VnpayProvider(
            tmn_code=config["VNPAY_TMN_CODE"],
            hash_secret=config["VNPAY_HASH_SECRET"],
            pay_url=config["VNPAY_PAY_URL"],
            api_url=config["VNPAY_API_URL"],
            timeout=float(config.get("VNPAY_API_TIMEOUT", 15)),
        )
    raise ValueError(f"unknown PAYMENT_PROVIDER {name!r}: use 'vnpay'")
