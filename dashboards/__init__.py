"""OrderLens dashboards (Streamlit): app.py navigates, pages/ lay out, lib/ queries and draws."""
