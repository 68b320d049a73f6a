"""The app's pages (one module each, listed in app.py) and what they share.

- loading.py: the configuration, the store and each dataset's data and figures, cached on the store's version
- url_state.py: the shared filters, drawn in the sidebar and kept in the URL (period picker, presenter mode)
- output.py: what pages draw: a survey page's title and banners, charts, tables, downloads
- style.py: the one CSS block, presenter mode's type and the phone's sidebar script
- identity.py: who is signed in and what they may see, and whether their sign-in is still good
- serving.py: the address the app listens on, and local mode's check that a client is on this computer
- faults.py: an unexpected error as one sentence and a reference to the server log
"""
