//! ImportService and ExportService over gRPC: the administrator's proof, the request
//! converted, one domain call, the answer mapped. No rules here.

use std::sync::Arc;

use secrecy::SecretString;
use tonic::{Request, Response, Status};

use super::{
    Transfers,
    convert::{chunk_to_proto, error_to_proto, new_run, run_to_proto},
};
use crate::{
    error::Error,
    ids::ImportRunId,
    proto::janua::imports::v1::{
        self as pb, export_service_server::ExportService, import_service_server::ImportService,
    },
    rpc::{self, client_info},
    store::Cursor,
};

type Reply<T> = Result<Response<T>, Status>;

fn run_id(raw: &str) -> Result<ImportRunId, Error> {
    ImportRunId::parse("import_run_id", raw)
}

/// A request's passphrase: None when empty.
fn passphrase(text: String) -> Option<SecretString> {
    (!text.is_empty()).then(|| SecretString::from(text))
}

pub struct ImportGrpc {
    transfers: Arc<Transfers>,
}

impl ImportGrpc {
    pub fn new(transfers: Arc<Transfers>) -> Self {
        Self { transfers }
    }
}

#[tonic::async_trait]
impl ImportService for ImportGrpc {
    async fn create_import_run(
        &self,
        request: Request<pb::CreateImportRunRequest>,
    ) -> Reply<pb::CreateImportRunResponse> {
        let admin = rpc::admin(&request)?;
        let run = new_run(request.into_inner())?;
        let view = self.transfers.create_run(&admin, run).await?;
        Ok(Response::new(pb::CreateImportRunResponse {
            import_run: Some(run_to_proto(&view)),
        }))
    }

    async fn upload_import_chunk(
        &self,
        request: Request<pb::UploadImportChunkRequest>,
    ) -> Reply<pb::UploadImportChunkResponse> {
        let admin = rpc::admin(&request)?;
        let body = request.into_inner();
        let id = run_id(&body.import_run_id)?;
        let (chunk_count, uploaded_bytes) = self
            .transfers
            .upload_chunk(&admin, &id, body.sequence, body.data)
            .await?;
        Ok(Response::new(pb::UploadImportChunkResponse {
            chunk_count,
            uploaded_bytes,
        }))
    }

    async fn start_import_run(
        &self,
        request: Request<pb::StartImportRunRequest>,
    ) -> Reply<pb::StartImportRunResponse> {
        let (admin, client) = (rpc::admin(&request)?, client_info(&request));
        let body = request.into_inner();
        let id = run_id(&body.import_run_id)?;
        let view = self
            .transfers
            .start_run(&admin, &id, passphrase(body.passphrase), client)
            .await?;
        Ok(Response::new(pb::StartImportRunResponse {
            import_run: Some(run_to_proto(&view)),
        }))
    }

    async fn get_import_run(
        &self,
        request: Request<pb::GetImportRunRequest>,
    ) -> Reply<pb::GetImportRunResponse> {
        let admin = rpc::admin(&request)?;
        let id = run_id(&request.get_ref().import_run_id)?;
        let view = self.transfers.get_run(&admin, &id).await?;
        Ok(Response::new(pb::GetImportRunResponse {
            import_run: Some(run_to_proto(&view)),
        }))
    }

    async fn list_import_runs(
        &self,
        request: Request<pb::ListImportRunsRequest>,
    ) -> Reply<pb::ListImportRunsResponse> {
        let admin = rpc::admin(&request)?;
        let body = request.into_inner();
        let cursor = Cursor::parse(body.page_size, &body.page_token, "import_runs")?;
        let (views, next_page_token) = self.transfers.list_runs(&admin, &cursor).await?;
        Ok(Response::new(pb::ListImportRunsResponse {
            import_runs: views.iter().map(run_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn list_import_errors(
        &self,
        request: Request<pb::ListImportErrorsRequest>,
    ) -> Reply<pb::ListImportErrorsResponse> {
        let admin = rpc::admin(&request)?;
        let body = request.into_inner();
        let id = run_id(&body.import_run_id)?;
        let fingerprint = format!("import_run_id={}", id.as_str());
        let cursor = Cursor::parse(body.page_size, &body.page_token, &fingerprint)?;
        let (errors, next_page_token) = self.transfers.list_errors(&admin, &id, &cursor).await?;
        Ok(Response::new(pb::ListImportErrorsResponse {
            errors: errors.into_iter().map(error_to_proto).collect(),
            next_page_token,
        }))
    }
}

pub struct ExportGrpc {
    transfers: Arc<Transfers>,
}

impl ExportGrpc {
    pub fn new(transfers: Arc<Transfers>) -> Self {
        Self { transfers }
    }
}

#[tonic::async_trait]
impl ExportService for ExportGrpc {
    async fn export_directory(
        &self,
        request: Request<pb::ExportDirectoryRequest>,
    ) -> Reply<tonic::codegen::BoxStream<pb::ExportDirectoryResponse>> {
        let (admin, client) = (rpc::admin(&request)?, client_info(&request));
        let given = passphrase(request.into_inner().passphrase);
        let receiver = self.transfers.export(&admin, given, client).await?;
        let stream = futures::stream::unfold(receiver, |mut receiver| async move {
            let item = receiver.recv().await?;
            Some((item.map(chunk_to_proto).map_err(Status::from), receiver))
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
