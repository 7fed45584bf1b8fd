def test_probe(client, make_user):
    u = make_user()
    body = '{"smiles": "CCO", "name": "x\\ud800y"}'
    try:
        r = client.post("/api/v1/molecules", data=body, content_type="application/json", headers=u.headers)
        print("RES", r.status_code, r.get_data(as_text=True)[:300])
    except Exception as e:
        print("EXC", type(e).__name__, str(e)[:200])
    try:
        r = client.get("/api/v1/molecules?q=%ED%A0%80", headers=u.headers)
        print("RES", r.status_code, r.get_data(as_text=True)[:300])
    except Exception as e:
        print("EXC", type(e).__name__, str(e)[:200])
