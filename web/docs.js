// GET /docs: swagger-ui (vendored) reading this node's own /openapi.json.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
