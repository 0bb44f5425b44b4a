"""`python -m onestop.payments.gateway`: the mock gateway alone, on 127.0.0.1:$GATEWAY_PORT (default 5001).

Werkzeug's threaded server is enough for a tester on one machine; the demo runs it under gunicorn
(`wsgi_gateway:app`) beside the portal.
"""

import os

from onestop.payments.gateway import create_gateway


def main() -> None:
    app = create_gateway()
    port = int(os.environ.get("GATEWAY_PORT", "5001"))
    print(f"Mock VNPay gateway: http://127.0.0.1:{port}/gateway/transactions")
    print(
        f"Merchant: VNPAY_TMN_CODE={app.config['VNPAY_TMN_CODE']} VNPAY_HASH_SECRET={app.config['VNPAY_HASH_SECRET']}"
    )
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
