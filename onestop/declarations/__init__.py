"""A citizen signs their own declaration or letter of authorisation with the province's signing service.

`credentials`: the citizen's signing credential (kept by the signing service, `citizen:<user id>`).
`services`: which papers of a draft can be signed, asking to sign, the Celery task's work, what officers see.
`render`: the application's answers as the declaration PDF ("Tờ khai ...").
"""
