//! The OpenAPI 3.1 document, collected from the handlers' `#[utoipa::path]` annotations as
//! the router is built ([`api_router`]), so every served route is documented and every
//! documented route served.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ServerState;
use crate::api::{admin, customers, exports, mentions, queues, sources, stats};

#[derive(OpenApi)]
#[openapi(
    info(title = "hark API", description = "Social listening follow-up: queues, mentions, prospects, customers. \
Every route needs `Authorization: Bearer TOKEN` (`hark user add NAME --role ROLE` prints one). Errors are \
`{\"error\": {\"code\", \"message\"}}`."),
    modifiers(&BearerAuth),
    tags((name = "queues"), (name = "search"), (name = "customers"), (name = "stats"), (name = "exports"), (name = "admin"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every `/api/v1` route with its documentation.
pub fn api_router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(queues::counts))
        .routes(routes!(queues::items))
        .routes(routes!(queues::show))
        .routes(routes!(queues::transition))
        .routes(routes!(queues::assign))
        .routes(routes!(queues::note))
        .routes(routes!(admin::labels))
        .routes(routes!(admin::me))
        .routes(routes!(admin::audit))
        .routes(routes!(stats::stats))
        .routes(routes!(sources::list))
        .routes(routes!(mentions::search))
        .routes(routes!(mentions::prospects))
        .routes(routes!(customers::list))
        .routes(routes!(customers::show))
        .routes(routes!(customers::list_matches))
        .routes(routes!(customers::decide))
        .routes(routes!(exports::queue))
        .routes(routes!(exports::prospects))
        .merge(
            // CRM exports are larger than any other request body.
            OpenApiRouter::new()
                .routes(routes!(customers::import))
                .layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_BODY_LIMIT)),
        )
}
