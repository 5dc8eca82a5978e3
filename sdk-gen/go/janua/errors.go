package janua

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of Janua's errors.
const ErrorDomain = "janua"

// Error is a failed call: the gRPC code and message, and the stable reason of the
// google.rpc.ErrorInfo detail every Janua error carries ("TOKEN_ERROR",
// "NOT_FOUND_ERROR", ...; empty when the error did not come from Janua). It keeps the
// original status, so status.Code(err) and status.FromError(err) work as usual.
type Error struct {
	Code    codes.Code
	Message string
	Reason  string
	Domain  string
	status  *status.Status
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("janua: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("janua: %s (%s): %s", e.Code, e.Reason, e.Message)
}

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// IsTokenError tells whether the access or refresh token was missing, invalid, expired or
// revoked.
func (e *Error) IsTokenError() bool {
	return e.Code == codes.Unauthenticated && e.Reason == "TOKEN_ERROR"
}

// Reason returns the ErrorInfo reason of err if it is (or wraps) a Janua error, else "".
func Reason(err error) string {
	var janua *Error
	if errors.As(err, &janua) {
		return janua.Reason
	}
	return ""
}

// asError turns any error from a call into an *Error (nil stays nil).
func asError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st := status.Convert(err)
	out := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			out.Reason = info.GetReason()
			out.Domain = info.GetDomain()
			break
		}
	}
	return out
}
