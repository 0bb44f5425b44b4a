"""`python -m onestop.sms_gateway`: the mock SMS gateway alone, on 127.0.0.1:$SMS_PORT (default 5002).

Werkzeug's threaded server is enough for a tester on one machine; the demo runs it under gunicorn
(`wsgi_sms:app`) beside the portal.
"""

import os

from onestop.sms_gateway import create_sms_gateway


def main() -> None:
    app = create_sms_gateway()
    port = int(os.environ.get("SMS_PORT", "5002"))
    print(f"Mock brand-name SMS gateway: http://127.0.0.1:{port}/sms/messages")
    print(f"Account: SMS_ACCOUNT={app.config['SMS_ACCOUNT']} SMS_SECRET={app.config['SMS_SECRET']}")
    print(f"Delivery reports go to {app.config['SMS_CALLBACK_URL']}")
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
